#!/usr/bin/env bash
# Makes assets/demo.wma, the demo stream bundled into the binary for `mmsplay --demo`: sixteen
# seconds of synthetic arpeggios over a bass line (a C major / A minor / F / G cycle), encoded
# as WMA v2 at 64 kb/s by ffmpeg. Released under CC0 1.0 as part of mmsplay.
set -euo pipefail
cd "$(dirname "$0")"
step='mod(floor(t*4)\,8)'
chord='mod(floor(t/2)\,4)'
root="(-3*eq($chord\,1)+5*eq($chord\,2)+7*eq($chord\,3))"
arp="(4*eq($step\,1)+7*eq($step\,2)+12*eq($step\,3)+7*eq($step\,4)+4*eq($step\,5)-5*eq($step\,7)+$root)"
lead="0.30*sin(2*PI*t*261.63*pow(2\,$arp/12))*exp(-4*mod(t\,0.25))"
lead_r="0.30*sin(2*PI*t*261.63*pow(2\,$arp/12+0.003))*exp(-4*mod(t\,0.25))"
bass="0.18*sin(2*PI*t*65.41*pow(2\,$root/12))*(0.6+0.4*exp(-2*mod(t\,2)))"
ffmpeg -loglevel error -y -f lavfi -i "aevalsrc='$lead+$bass|$lead_r+$bass':s=44100:d=16" \
  -fflags +bitexact -flags:a +bitexact -map_metadata -1 \
  -metadata title="Rollover Arpeggios" -metadata artist="mmsplay" \
  -metadata copyright="CC0 1.0, made for mmsplay" \
  -metadata comment="A short synthetic piece for the mmsplay demo" \
  -c:a wmav2 -b:a 64k demo.wma
