//! mmsplay-asf
