//! HRESULT codes ([MS-ERREF]) that MMS servers put in `hr` fields, as sentences for users.

pub const S_OK: u32 = 0;
pub const E_FAIL: u32 = 0x8000_4005;
pub const E_ACCESSDENIED: u32 = 0x8007_0005;
pub const ERROR_FILE_NOT_FOUND: u32 = 0x8007_0002;
pub const NS_E_FILE_NOT_FOUND: u32 = 0xC00D_001A;

/// A short reason for an `hr`, e.g. "the file was not found (hr 0xC00D001A)".
pub fn describe(hr: u32) -> String {
    let what = match hr {
        NS_E_FILE_NOT_FOUND | ERROR_FILE_NOT_FOUND => "the file was not found",
        0x8007_0003 => "the path was not found",
        E_ACCESSDENIED => "access was denied",
        E_FAIL => "the server reported a failure",
        0x8000_4001 => "the server does not implement this",
        0x8007_000E => "the server is out of memory",
        0x8007_0057 => "the server rejected a parameter",
        _ if hr & 0x8000_0000 == 0 => "the server returned an unexpected status",
        _ => "the server reported an error",
    };
    format!("{what} (hr 0x{hr:08X})")
}

/// Whether an `hr` says the content does not exist (as opposed to a refusal).
pub fn is_not_found(hr: u32) -> bool {
    matches!(hr, NS_E_FILE_NOT_FOUND | ERROR_FILE_NOT_FOUND | 0x8007_0003)
}
