"""The sandbox payment gateway (沙箱支付): a local stand-in for the WeChat Pay, Alipay and
UnionPay servers, speaking their real protocols, for the demo and the tests. It answers
only when GAOKAO_PAYMENTS_SANDBOX is on. It sits with the front ends: it is called over
HTTP like the real gateways, and it calls our notification URLs the same way."""
