package io.canaryproxy.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.canaryproxy.forwarding.ClientOrigin;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.haproxy.HAProxyMessageDecoder;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The handlers in front of HTTP: the PROXY protocol header and the setup timeout. */
class ConnectionSetupHandlersTest {
  private static final long SECOND = TimeUnit.SECONDS.toNanos(1);

  private static ByteBuf ascii(String s) {
    return Unpooled.copiedBuffer(s, StandardCharsets.US_ASCII);
  }

  @Test
  void proxyHeaderSetsTheClientOriginAndPassesTheRestOn() {
    EmbeddedChannel ch =
        new EmbeddedChannel(
            new HAProxyMessageDecoder(),
            new ProxyProtocolHandler(),
            new SetupTimeoutHandler(SECOND, false));

    ch.writeInbound(ascii("PROXY TCP6 2001:db8::7 2001:db8::1 40000 443\r\nGET / HTTP/1.1\r\n"));

    ClientOrigin origin = ch.attr(ClientOrigin.KEY).get();
    assertThat(origin.address().getAddress().getHostAddress()).isEqualTo("2001:db8:0:0:0:0:0:7");
    assertThat(origin.address().getPort()).isEqualTo(40000);
    assertThat(origin.secure()).isFalse();
    ByteBuf rest = ch.readInbound();
    assertThat(rest.toString(StandardCharsets.US_ASCII)).isEqualTo("GET / HTTP/1.1\r\n");
    rest.release();
    assertThat(ch.pipeline().get(ProxyProtocolHandler.class)).isNull();
    assertThat(ch.pipeline().get(SetupTimeoutHandler.class)).isNull(); // setup done: timer off
    ch.advanceTimeBy(2, TimeUnit.SECONDS);
    ch.runScheduledPendingTasks();
    assertThat(ch.isOpen()).isTrue();
    assertThat(ch.finishAndReleaseAll()).isFalse();
  }

  @Test
  void localCommandKeepsTheSocketPeer() {
    EmbeddedChannel ch =
        new EmbeddedChannel(new HAProxyMessageDecoder(), new ProxyProtocolHandler());
    byte[] local = {
      0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A, 0x20, 0x00, 0x00, 0x00
    };

    ch.writeInbound(Unpooled.wrappedBuffer(local));

    assertThat(ch.attr(ClientOrigin.KEY).get()).isNull();
    assertThat(ch.isOpen()).isTrue();
    assertThat(ch.finishAndReleaseAll()).isFalse();
  }

  @Test
  void somethingElseThanAProxyHeaderClosesTheConnection() {
    EmbeddedChannel ch =
        new EmbeddedChannel(new HAProxyMessageDecoder(), new ProxyProtocolHandler());

    ch.writeInbound(ascii("GET / HTTP/1.1\r\nHost: a\r\n\r\n"));

    assertThat(ch.isOpen()).isFalse();
    assertThat(ch.attr(ClientOrigin.KEY).get()).isNull();
    assertThat(ch.finishAndReleaseAll()).isFalse();
  }

  @Test
  void setupThatDoesNotFinishInTimeClosesTheConnection() {
    // The embedded clock is frozen before the timer is set: otherwise real time passing between
    // the set-up and the checks (a loaded machine) moves the deadline and 999 ms is already late.
    EmbeddedChannel ch = new EmbeddedChannel();
    ch.freezeTime();
    ch.pipeline()
        .addLast(
            new HAProxyMessageDecoder(),
            new ProxyProtocolHandler(),
            new SetupTimeoutHandler(SECOND, false));

    ch.writeInbound(ascii("PROXY TCP4 203.0")); // a header that never completes
    ch.advanceTimeBy(999, TimeUnit.MILLISECONDS);
    ch.runScheduledPendingTasks();
    assertThat(ch.isOpen()).isTrue();
    ch.advanceTimeBy(1, TimeUnit.MILLISECONDS);
    ch.runScheduledPendingTasks();

    assertThat(ch.isOpen()).isFalse();
    assertThat(ch.finishAndReleaseAll()).isFalse();
  }
}
