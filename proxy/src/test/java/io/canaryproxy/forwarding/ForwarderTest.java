package io.canaryproxy.forwarding;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The exchange state machine, driven through EmbeddedChannels on one thread. */
class ForwarderTest {
  private static final String GET = "GET /a HTTP/1.1\r\nHost: shop\r\n\r\n";
  private static final String OK = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi";

  @Test
  void happyPath() throws Exception {
    try (ExchangeHarness h = new ExchangeHarness("")) {
      h.clientSends(GET);
      System.out.println(
          "GET CLIENT<<"
              + h.clientReceived()
              + ">> backends="
              + h.backends.size()
              + h.failures
              + h.completed.size());
    }
  }

  @Test
  void bodyThatArrivesWhileConnectingFollowsTheBufferedPart() throws Exception {
    try (ExchangeHarness h = new ExchangeHarness("limits: { requestBufferBytes: 16 }")) {
      h.holdNextConnect();
      h.clientSends(
          "POST /up HTTP/1.1\r\nHost: shop\r\nTransfer-Encoding: chunked\r\n\r\n"
              + "14\r\n01234567890123456789\r\n");
      h.clientSends("5\r\nabcde\r\n");
      h.clientSends("0\r\n\r\n");
      h.completeConnect();
      String sent = h.backendReceived(0);
      assertThat(sent).startsWith("POST /up HTTP/1.1\r\n");
      assertThat(sent).endsWith("\r\n\r\n14\r\n01234567890123456789\r\n5\r\nabcde\r\n0\r\n\r\n");
    }
  }

  @Test
  void bigChunks() throws Exception {
    try (ExchangeHarness h = new ExchangeHarness("")) {
      h.holdNextConnect();
      String chunk = "x".repeat(65524);
      h.clientSends(
          "PUT /up HTTP/1.1\r\nHost: shop\r\nTransfer-Encoding: chunked\r\n\r\n"
              + "fff4\r\n"
              + chunk
              + "\r\n");
      h.clientSends("fff4\r\n" + chunk + "\r\n");
      h.completeConnect();
      h.clientSends("fff4\r\n" + chunk + "\r\n");
      h.clientSends("0\r\n\r\n");
      String sent = h.backendReceived(0);
      System.out.println(
          "SENT " + sent.length() + " " + sent.replace("x", "").replace("\r\n", "|"));
    }
  }

  @Test
  void chunkedUploadLargerThanTheBufferArrivesWhole() throws Exception {
    try (ExchangeHarness h = new ExchangeHarness("limits: { requestBufferBytes: 16 }")) {
      h.clientSends(
          "POST /up HTTP/1.1\r\nHost: shop\r\nTransfer-Encoding: chunked\r\n\r\n"
              + "14\r\n01234567890123456789\r\n");
      h.clientSends("5\r\nabcde\r\n");
      h.clientSends("0\r\n\r\n");
      System.out.println(
          "CLIENT<<"
              + h.clientReceived()
              + ">> backends="
              + h.backends.size()
              + " active="
              + h.client.isActive()
              + " "
              + h.client.pipeline().names());
      String sent = h.backendReceived(0);
      assertThat(sent).startsWith("POST /up HTTP/1.1\r\n");
      assertThat(sent).endsWith("\r\n\r\n14\r\n01234567890123456789\r\n5\r\nabcde\r\n0\r\n\r\n");
      h.backendSends(0, OK);
      assertThat(h.clientReceived()).startsWith("HTTP/1.1 200 OK\r\n").endsWith("\r\n\r\nhi");
    }
  }
}
