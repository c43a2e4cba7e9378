//! [MS-WMSP] streaming over HTTP, sans-IO: requests, Pragma headers, the `$H $D $E $C $M $P` chunk codec.
