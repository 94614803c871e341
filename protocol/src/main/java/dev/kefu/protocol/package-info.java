/**
 * The Kefu wire protocol (docs/protocol.md) as Java types: {@link dev.kefu.protocol.Frame} and its
 * records, {@link dev.kefu.protocol.FrameCodec} for JSON, {@link dev.kefu.protocol.ErrorCode} and
 * {@link dev.kefu.protocol.CloseCodes}. No I/O: shared by the relay, the desktop app and the load
 * generator.
 */
package dev.kefu.protocol;
