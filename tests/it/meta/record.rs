//! `--record` over every transport.
