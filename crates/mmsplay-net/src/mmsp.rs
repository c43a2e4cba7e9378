//! [MS-MMSP] sans-IO: command framing, message types, and the TCP/UDP data packet framing.
