#!/usr/bin/env python3
"""Writes the golden MMS byte fixtures from the field tables of [MS-MMSP] 2.2.2-2.2.5.

This is a second, independent encoding of the spec (struct.pack, field by field, written from
the spec tables and the captured ffmpeg Connect of protocols.md 2.1), so that the Rust encoders
and decoders are checked against bytes they did not produce. Each .hex file holds one packet as
annotated hex: '#' starts a comment, whitespace is ignored.
"""
import struct

def u8(v): return struct.pack('<B', v)
def u16(v): return struct.pack('<H', v)
def u32(v): return struct.pack('<I', v)
def u64(v): return struct.pack('<Q', v)
def f64(v): return struct.pack('<d', v)
def w(s): return s.encode('utf-16-le') + b'\0\0'

def command(seq, mid, fields):
    """[MS-MMSP] 2.2.3 TcpMessageHeader + 2.2.4 chunkLen/MID + body, padded to 8."""
    body = b''.join(f for _, f in fields)
    pad = (-len(body)) % 8
    total = 40 + len(body) + pad
    head = [
        ('rep version versionMinor padding', bytes([1, 0, 0, 0])),
        ('sessionId 0xB00BFACE', u32(0xB00BFACE)),
        ('messageLength = total - 16', u32(total - 16)),
        ('seal "MMS "', b'MMS '),
        ('chunkCount = messageLength / 8 (what clients use)', u32((total - 16) // 8)),
        ('seq', u16(seq)), ('MBZ', u16(0)),
        ('timeSent', u64(0)),
        ('chunkLen = (total - 32) / 8', u32((total - 32) // 8)),
        ('MID', u32(mid)),
    ]
    return head + fields + ([('padding', b'\0' * pad)] if pad else [])

def write(name, parts, note):
    with open(name, 'w') as f:
        f.write('# ' + note + '\n')
        for label, b in parts:
            f.write(b.hex(' ') + '  # ' + label + '\n')

FFMPEG_NAME = 'NSPlayer/7.0.0.1956; {7E667F5D-A661-495E-A512-F55686DDA178}; Host: 127.0.0.1'

# --- client to server -------------------------------------------------------------------------
write('connect.hex', command(0, 0x00030001, [
    ('playIncarnation (ffmpeg sends 0)', u32(0)),
    ('MacToViewerProtocolRevision', u32(0x0004000B)),
    ('ViewerToMacProtocolRevision', u32(0x0003001C)),
    ('subscriberName', w(FFMPEG_NAME)),
]), '2.2.4.17 LinkViewerToMacConnect; first 40 bytes identical to the ffmpeg capture of protocols.md 2.1')
write('funnel_info.hex', command(1, 0x00030018, [
    ('playIncarnation MMS_DISABLE_PACKET_PAIR', u32(0xF0F0F0EF)),
]), '2.2.4.19 LinkViewerToMacFunnelInfo')
write('connect_funnel_udp.hex', command(2, 0x00030002, [
    ('playIncarnation', u32(0)), ('maxBlockBytes', u32(0xFFFFFFFF)), ('maxFunnelBytes', u32(0)),
    ('maxBitRate', u32(0x00989680)), ('funnelMode', u32(2)),
    ('funnelName', w('\\\\127.0.0.1\\UDP\\7000')),
]), '2.2.4.18 LinkViewerToMacConnectFunnel, UDP')
write('open_file.hex', command(3, 0x00030005, [
    ('playIncarnation', u32(9)), ('spare', u32(0)), ('token', u32(0)), ('cbtoken', u32(0)),
    ('fileName', w('test.asf')),
]), '2.2.4.21 LinkViewerToMacOpenFile')
write('read_block.hex', command(4, 0x00030015, [
    ('openFileId', u32(1)), ('fileBlockId', u32(0)), ('offset', u32(0)), ('length', u32(0x8000)),
    ('flags', u32(0xFFFFFFFF)), ('padding', u32(0)), ('tEarliest 0.0', f64(0.0)),
    ('tDeadline 3600.0', f64(3600.0)), ('playIncarnation (HeaderIncarnation)', u32(1)),
    ('playSequence', u32(0)),
]), '2.2.4.23 LinkViewerToMacReadBlock')
write('stream_switch.hex', command(5, 0x00030033, [
    ('cStreamEntries', u32(1)),
    ('entry: src 0xFFFF, dst 1, thinning 0', u16(0xFFFF) + u16(1) + u16(0)),
]), '2.2.4.28 LinkViewerToMacStreamSwitch')
write('start_playing.hex', command(6, 0x00030007, [
    ('openFileId', u32(1)), ('padding', u32(0)), ('position 2.5 s', f64(2.5)),
    ('asfOffset', u32(0xFFFFFFFF)), ('locationId', u32(0xFFFFFFFF)),
    ('frameOffset 0 = to the end', u32(0)), ('playIncarnation', u32(10)),
]), '2.2.4.25 LinkViewerToMacStartPlaying')
write('pong.hex', command(7, 0x0003001B, [('dwParam1', u32(0)), ('dwParam2', u32(0))]),
      '2.2.4.22 LinkViewerToMacPong')
write('close_file.hex', command(8, 0x0003000D, [('playIncarnation', u32(0)), ('openFileId', u32(1))]),
      '2.2.4.16 LinkViewerToMacCloseFile')

# --- server to client -------------------------------------------------------------------------
write('report_connected_ex.hex', command(0, 0x00040001, [
    ('hr', u32(0)), ('playIncarnation MMS_DISABLE_PACKET_PAIR', u32(0xF0F0F0EF)),
    ('MacToViewerProtocolRevision', u32(0x0004000B)), ('ViewerToMacProtocolRevision', u32(0x0003001C)),
    ('blockGroupPlayTime 1.0', f64(1.0)), ('blockGroupBlocks', u32(1)), ('nMaxOpenFiles', u32(1)),
    ('nBlockMaxBytes', u32(0x8000)), ('maxBitRate', u32(0x00989680)),
    ('cbServerVersionInfo (chars incl NUL)', u32(13)), ('cbVersionInfo', u32(0)),
    ('cbVersionUrl', u32(0)), ('cbAuthenPackage', u32(0)),
    ('ServerVersionInfo', w('9.01.01.3814')),
]), '2.2.4.2 LinkMacToViewerReportConnectedEX (the spec variant of protocols.md 6A.1)')
write('report_funnel_info.hex', command(1, 0x00040015, [
    ('hr', u32(0)), ('playIncarnation', u32(0xF0F0F0EF)), ('transportMask', u32(8)),
    ('nBlockFragments', u32(1)), ('fragmentBytes', u32(0x10000)), ('nCubs (client id)', u32(0x1234)),
    ('failedCubs', u32(0)), ('nDisks', u32(1)), ('decluster', u32(0)), ('cubddDatagramSize', u32(0)),
]), '2.2.4.6 LinkMacToViewerReportFunnelInfo (80 bytes)')
write('report_connected_funnel.hex', command(2, 0x00040002, [
    ('hr', u32(0)), ('playIncarnation', u32(0)), ('packetPayloadSize', u32(0)),
    ('funnelName', w('Funnel Of The Gods')),
]), '2.2.4.3 LinkMacToViewerReportConnectedFunnel')
write('report_disconnected_funnel.hex', command(2, 0x00040003, [
    ('hr E_ACCESSDENIED', u32(0x80070005)), ('playIncarnation', u32(0)),
]), '2.2.4.4 LinkMacToViewerReportDisconnectedFunnel')
write('report_open_file.hex', command(3, 0x00040006, [
    ('hr', u32(0)), ('playIncarnation', u32(9)), ('openFileId', u32(1)), ('padding', u32(0)),
    ('fileName', u32(0)), ('fileAttributes CANSEEK|CANSTRIDE', u32(0x01800000)),
    ('fileDuration 10.03 s', f64(10.03)), ('fileBlocks (rounded up)', u32(11)), ('unused1', bytes(16)),
    ('filePacketSize', u32(3200)), ('filePacketCount', u64(54)), ('fileBitRate', u32(128000)),
    ('fileHeaderSize', u32(544)), ('unused2', bytes(36)),
]), '2.2.4.7 LinkMacToViewerReportOpenFile (148 bytes, padded to 152)')
write('report_read_block.hex', command(4, 0x00040011, [
    ('hr', u32(0)), ('playIncarnation', u32(1)), ('playSequence', u32(0)),
]), '2.2.4.8 LinkMacToViewerReportReadBlock')
write('report_stream_switch.hex', command(5, 0x00040021, [('hr', u32(0))]),
      '2.2.4.13 LinkMacToViewerReportStreamSwitch')
write('report_started_playing.hex', command(6, 0x00040005, [
    ('hr', u32(0)), ('playIncarnation', u32(10)), ('tigerFileId', u32(1)), ('unused1', u32(0)),
    ('unused2', bytes(12)),
]), '2.2.4.10 LinkMacToViewerReportStartedPlaying')
write('ping.hex', command(7, 0x0004001B, [('dwParam1', u32(0)), ('dwParam2', u32(0))]),
      '2.2.4.1 LinkMacToViewerPing')
write('report_end_of_stream.hex', command(8, 0x0004001E, [('hr', u32(0)), ('playIncarnation', u32(10))]),
      '2.2.4.5 LinkMacToViewerReportEndOfStream')

# --- data path --------------------------------------------------------------------------------
write('data_header_last.hex', [
    ('LocationId 0', u32(0)), ('playIncarnation', u8(2)), ('AFFlags 0x0C last piece', u8(0x0C)),
    ('PacketSize 8 + 4', u16(12)), ('payload', b'\x30\x26\xb2\x75'),
], '2.2.2 Data packet carrying the last (only) ASF header piece')
write('data_packet.hex', [
    ('LocationId 300', u32(300)), ('playIncarnation', u8(10)), ('AFFlags = sequence 7', u8(7)),
    ('PacketSize 8 + 5', u16(13)), ('payload', b'\x82\x00\x00\x08\x5d'),
], '2.2.2 Data packet carrying an ASF data packet')
write('resend.hex', [
    ('Signature 0xBEEFF00D', u32(0xBEEFF00D)), ('dwClientId', u32(0x1234)), ('wSourceId', u16(1)),
    ('wNumPackets', u16(2)), ('sequence', u32(5)), ('sequence', u32(260)),
], '2.2.5 RequestPacketListResend')
