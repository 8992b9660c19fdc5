package io.canaryproxy.mirroring;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Telling a request body that is exactly one length-prefixed gRPC message. */
class UnaryCheckTest {
  /** Bytes from hex, split into pieces at the given sizes (the rest in a last piece). */
  private static List<ByteBuf> pieces(String hex, String splits) {
    byte[] all = new byte[hex.length() / 2];
    for (int i = 0; i < all.length; i++) {
      all[i] = (byte) Integer.parseInt(hex.substring(2 * i, 2 * i + 2), 16);
    }
    List<ByteBuf> out = new ArrayList<>();
    int at = 0;
    if (!splits.isEmpty()) {
      for (String s : splits.split(" ")) {
        int n = Integer.parseInt(s);
        out.add(Unpooled.wrappedBuffer(all, at, n));
        at += n;
      }
    }
    out.add(Unpooled.wrappedBuffer(all, at, all.length - at));
    return out;
  }

  @ParameterizedTest(name = "{0} split [{1}] -> {2}")
  @CsvSource({
    "0000000000, '', true",
    "000000000361626300, '', false",
    "0000000003616263, '', true",
    "0000000003616263, 1, true",
    "0000000003616263, 2 1 1, true",
    "0000000003616263, 5 0, true",
    "0100000003616263, '', true",
    "0200000003616263, '', false",
    "00000000036162, '', false",
    "000000000361626300000000016a, '', false",
    "000000000361626300000000016a, 3 5, false",
    "00000000, '', false",
    "'', '', false",
    "00ffffffff61, '', false"
  })
  void exactlyOneMessage(String hex, String splits, boolean one) {
    List<ByteBuf> body = pieces(hex, splits);
    int[] readers = body.stream().mapToInt(ByteBuf::readerIndex).toArray();

    assertThat(UnaryCheck.isOneMessage(body)).isEqualTo(one);

    for (int i = 0; i < body.size(); i++) {
      assertThat(body.get(i).readerIndex()).as("indexes untouched").isEqualTo(readers[i]);
      body.get(i).release();
    }
  }
}
