package io.canaryproxy.forwarding;

import static org.assertj.core.api.Assertions.assertThat;

import io.canaryproxy.config.ConfigLoader;
import io.canaryproxy.config.LimitsConfig;
import io.canaryproxy.routing.Cohorts;
import io.canaryproxy.routing.RoutingTable;
import io.canaryproxy.routing.Variant;
import io.canaryproxy.server.http1.Http1Head;
import io.canaryproxy.server.http1.Http1RequestDecoder;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The cohort a user lands in, for keys read from the bytes a client sent, is pinned: routing hashes
 * the key straight from the received head (no string made), and every bucket here is the one the
 * code before that change computed (main at feed7d9: {@code Cohorts.bucket(salt, key)}, the key
 * being the field value read as ISO-8859-1), so no user changes version on upgrade. The keys cover
 * every length modulo 4 with both salts (murmur3's block and tail), and 8-bit bytes (hashed as the
 * UTF-8 of their ISO-8859-1 characters, as before).
 */
class ReceivedKeyCohortTest {
  private static final LimitsConfig LIMITS = new LimitsConfig(8192, 16384, 100, 1 << 20);

  private static RoutingTable table(String salt, int percent) throws Exception {
    return RoutingTable.compile(
        ConfigLoader.parse(
                "backends: {stable: {endpoints: [\"h:1\"]}, canary: {endpoints: [\"h:2\"]}}\n"
                    + "routing: {userKey: [{header: x-user-id}], canaryPercent: "
                    + percent
                    + ", salt: \""
                    + salt
                    + "\"}\n")
            .routing());
  }

  /** Pinned buckets, computed by main's code (feed7d9) for the value bytes given in hex. */
  @ParameterizedTest
  @CsvSource({
    // salt, key bytes (hex), bucket
    "release-42, 75, 9892",
    "release-42, 7573, 7665",
    "release-42, 757365, 6364",
    "release-42, 75736572, 1987",
    "release-42, 757365722d31, 5339",
    "release-42, 757365722d3132333435, 1082",
    "release-42, 616c696365406578616d706c652e636f6d, 4229",
    "release-42, 636166e9, 2438",
    "release-42, c39c6e69636f6465, 2813",
    "'', 75, 7156",
    "'', 7573, 4129",
    "'', 757365, 9740",
    "'', 75736572, 8269",
    "'', 757365722d3432, 4191",
    "'', ff, 1064",
    "bench-salt, 757365722d3737373737, 356",
  })
  void aKeyReadFromTheReceivedHeadKeepsItsCohort(String salt, String hex, int bucket)
      throws Exception {
    byte[] key = HexFormat.of().parseHex(hex);
    String asString = new String(key, StandardCharsets.ISO_8859_1);
    assertThat(Cohorts.bucket(salt, asString)).isEqualTo(bucket); // the definition, unchanged
    for (int percent : new int[] {0, 10, 50, 100}) {
      Exchange e = routed(table(salt, percent), key);
      assertThat(e.route.bucket).isEqualTo(bucket);
      assertThat(e.route.variant)
          .isEqualTo(Cohorts.inCanary(bucket, percent) ? Variant.CANARY : Variant.STABLE);
      assertThat(e.route.userKey()).isEqualTo(asString);
    }
  }

  /** Decodes a GET carrying {@code key} as its x-user-id, and routes it as the forwarder does. */
  private static Exchange routed(RoutingTable table, byte[] key) {
    EmbeddedChannel ch = new EmbeddedChannel(new Http1RequestDecoder(LIMITS, 0, 0));
    try {
      byte[] start =
          "GET /a HTTP/1.1\r\nHost: shop.example\r\nx-user-id: "
              .getBytes(StandardCharsets.US_ASCII);
      byte[] end = "\r\nAccept: */*\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
      ch.writeInbound(Unpooled.wrappedBuffer(start, key, end));
      Http1Head head = ch.readInbound();
      Exchange e = new Exchange();
      e.request(head);
      new RequestHeadView().route(table, head, e, InetAddress.getLoopbackAddress());
      return e;
    } finally {
      ch.finishAndReleaseAll(); // the request's End marker, nothing reference-counted
    }
  }
}
