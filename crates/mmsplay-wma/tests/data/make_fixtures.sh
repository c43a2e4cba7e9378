#!/bin/sh
# Regenerates the ffmpeg-made fixtures of this directory (see SOURCES.md).
# Made with Debian ffmpeg 5.1.9-0+deb12u1; other versions may produce different bytes.
set -eu
cd "$(dirname "$0")"
# Mono sources; the stereo ones have different content per channel so M/S is exercised.
tone1="sine=frequency=440:sample_rate=48000:duration=1"
tone2="aevalsrc=exprs='0.5*sin(2*PI*440*t)|0.4*sin(2*PI*660*t+1)':s=48000:d=1"
noise1="anoisesrc=d=1:c=pink:r=48000:a=0.3:seed=7"
noise2="aevalsrc=exprs='0.3*(2*random(0)-1)|0.2*(2*random(1)-1)+0.1*sin(2*PI*300*t)':s=48000:d=1"
# A "music-like" signal: a decaying chord with vibrato plus a quiet chirp.
chord="0.3*exp(-2*mod(t\\,0.5))*(sin(2*PI*261.6*t+2*sin(2*PI*5*t))+0.7*sin(2*PI*329.6*t)+0.5*sin(2*PI*392*t))+0.05*sin(2*PI*(200*t+3000*t*t))"
chord2="0.25*exp(-3*mod(t+0.2\\,0.4))*(sin(2*PI*196*t)+0.6*sin(2*PI*293.7*t+sin(2*PI*3*t)))+0.05*sin(2*PI*(5000*t-2000*t*t))"
music1="aevalsrc=exprs='$chord':s=48000:d=1"
music2="aevalsrc=exprs='$chord|$chord2':s=48000:d=1"
mk() { # codec rate channels bitrate signal-name
    eval "src=\$$5$3"
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
