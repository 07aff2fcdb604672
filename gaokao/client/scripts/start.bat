@echo off
rem Starts the point client in this window (gaokao client run): the office web on
rem http://127.0.0.1:8001/office/, the ID-card reader bridge and sync. Ctrl+C stops it.
rem Installed by install.bat beside the virtual environment; reader.txt names the reader.
title gaokao point client
setlocal
set "APP=%~dp0"
set "ARGS="
if exist "%APP%reader.txt" (
    set /p READER=<"%APP%reader.txt"
)
if defined READER set "ARGS=--reader %READER%"
"%APP%venv\Scripts\gaokao.exe" client run --open-browser %ARGS%
if errorlevel 1 pause
