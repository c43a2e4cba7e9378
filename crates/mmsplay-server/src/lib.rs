//! mmsplay-server
