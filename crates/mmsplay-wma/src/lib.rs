//! mmsplay-wma
