//! Independent peers against our server.
