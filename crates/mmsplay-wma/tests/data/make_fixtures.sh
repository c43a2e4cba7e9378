#!/bin/sh
# Regenerates the ffmpeg-made fixtures of this directory (see SOURCES.md).
# Made with Debian ffmpeg 5.1.9-0+deb12u1; other versions may produce different bytes.
set -eu
cd "$(dirname "$0")"
tone="sine=frequency=440:sample_rate=48000:duration=1"
noise="anoisesrc=d=1:c=pink:r=48000:a=0.3:seed=7"
# A "music-like" signal: a decaying chord with vibrato plus a quiet chirp.
music="aevalsrc=exprs='0.3*exp(-2*mod(t\,0.5))*(sin(2*PI*261.6*t+2*sin(2*PI*5*t))+0.7*sin(2*PI*329.6*t)+0.5*sin(2*PI*392*t))+0.05*sin(2*PI*(200*t+3000*t*t))':s=48000:d=1"
mk() { # codec rate channels bitrate signal-name
    case "$5" in tone) src=$tone ;; noise) src=$noise ;; music) src=$music ;; esac
    ffmpeg -v error -y -f lavfi -i "$src" -ar "$2" -ac "$3" -c:a "$1" -b:a "$4" \
        -fflags +bitexact -map_metadata -1 "$1_$2_$3ch_$4_$5.wma"
}
mk wmav2 8000 1 24k tone
mk wmav2 8000 2 32k music
mk wmav2 11025 1 24k noise
mk wmav2 11025 2 48k music
mk wmav2 16000 1 24k music
mk wmav2 16000 2 64k noise
mk wmav2 22050 1 24k noise
mk wmav2 22050 2 32k music
mk wmav2 32000 2 28800 music
mk wmav2 32000 1 64k tone
mk wmav2 44100 1 24k music
mk wmav2 44100 2 56k noise
mk wmav2 44100 2 128k music
mk wmav2 48000 2 64k music
mk wmav2 48000 1 160k noise
mk wmav1 8000 1 24k music
mk wmav1 11025 1 24k tone
mk wmav1 16000 2 48k music
mk wmav1 22050 2 64k noise
mk wmav1 32000 2 48k music
mk wmav1 44100 1 24k noise
mk wmav1 44100 2 128k music
mk wmav1 48000 2 96k tone
