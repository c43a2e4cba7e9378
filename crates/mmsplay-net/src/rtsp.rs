//! [MS-RTSP] sans-IO: RTSP messages, SDP with the ASF header (`a=pgmpu`), and the ASF RTP payload format.
