@echo off
rem Installs the point client (gaokao) on a Windows PC from this folder, without network:
rem a virtual environment in %LOCALAPPDATA%\gaokao-client-app, start.bat there, a desktop
rem shortcut, and (with "autostart") a shortcut in the Startup folder.
rem
rem   install.bat [READER_PORT] [autostart]      e.g. install.bat COM3 autostart
rem
rem READER_PORT is the ID-card reader's serial port (sim: the simulated reader), kept in
rem reader.txt beside start.bat. Needs Python 3.11 for Windows (python.org installer).
rem Running it again installs the newer package of this folder and keeps the data.
setlocal
set "HERE=%~dp0"
set "APP=%LOCALAPPDATA%\gaokao-client-app"
set "PY="
py -3.11 -c "pass" >nul 2>nul && set "PY=py -3.11"
if not defined PY python -c "import sys; sys.exit(sys.version_info[:2] != (3, 11))" >nul 2>nul && set "PY=python"
if not defined PY (
    echo Python 3.11 is needed: install it first, see point-guide.md.
    pause
    exit /b 1
)

echo Installing the point client into %APP% ...
%PY% -m venv "%APP%\venv" || goto failed
"%APP%\venv\Scripts\python.exe" -m pip install --quiet --disable-pip-version-check --no-index --find-links "%HERE%." --upgrade gaokao || goto failed
copy /y "%HERE%start.bat" "%APP%\start.bat" >nul || goto failed
if not "%~1"=="" (echo %~1)>"%APP%\reader.txt"

set "SHORTCUT=$w = New-Object -ComObject WScript.Shell; foreach ($d in $args) { $s = $w.CreateShortcut((Join-Path $d 'gaokao-client.lnk')); $s.TargetPath = '%APP%\start.bat'; $s.WorkingDirectory = '%APP%'; $s.Save() }"
powershell -NoProfile -ExecutionPolicy Bypass -Command "& { %SHORTCUT% } ([Environment]::GetFolderPath('Desktop'))" || goto failed
if /i "%~2"=="autostart" powershell -NoProfile -ExecutionPolicy Bypass -Command "& { %SHORTCUT% } ([Environment]::GetFolderPath('Startup'))" || goto failed

"%APP%\venv\Scripts\gaokao.exe" client version
echo.
echo Installed. Enrol this PC once (password and authenticator code of the point account):
echo     "%APP%\venv\Scripts\gaokao.exe" client enrol --server https://SERVER --username POINT-ACCOUNT
echo Then start it every day with the desktop shortcut gaokao-client.
pause
exit /b 0

:failed
echo The installation failed: see the messages above.
pause
exit /b 1
