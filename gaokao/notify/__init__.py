"""Gateway notifications (支付结果通知): the front end the payment gateways call, one URL per
channel. The views hand the raw request to gaokao.payments and answer what it says."""
