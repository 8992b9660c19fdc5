package io.canaryproxy.mirroring;

import io.canaryproxy.grpc.GrpcCalls;
import io.netty.buffer.ByteBuf;

/**
 * Whether a gRPC request body is exactly one length-prefixed message: a compressed-flag byte (0 or
 * 1), a 4-byte big-endian length, and that many bytes, then nothing (gRPC over HTTP/2,
 * "Length-Prefixed-Message"). Such a call is unary or server-streaming; a client- or bidi-streaming
 * call that happened to send one message cannot be told apart, and is treated as unary.
 */
final class UnaryCheck {
  private UnaryCheck() {}

  /** True when the pieces, in order, hold exactly one message; reads without moving indexes. */
  static boolean isOneMessage(Iterable<ByteBuf> pieces) {
    long total = 0;
    byte[] prefix = new byte[GrpcCalls.PREFIX_BYTES];
    int have = 0;
    for (ByteBuf p : pieces) {
      int n = p.readableBytes();
      int take = Math.min(n, prefix.length - have);
      if (take > 0) {
        p.getBytes(p.readerIndex(), prefix, have, take);
        have += take;
      }
      total += n;
    }
    if (have < prefix.length || (prefix[0] != 0 && prefix[0] != 1)) {
      return false;
    }
    long length =
        (prefix[1] & 0xFFL) << 24
            | (prefix[2] & 0xFFL) << 16
            | (prefix[3] & 0xFFL) << 8
            | prefix[4] & 0xFFL;
    return total == GrpcCalls.PREFIX_BYTES + length;
  }
}
