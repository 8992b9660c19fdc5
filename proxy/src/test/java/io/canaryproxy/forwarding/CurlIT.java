package io.canaryproxy.forwarding;

import static org.assertj.core.api.Assertions.assertThat;

import io.canaryproxy.testing.RunningProxy;
import io.canaryproxy.testing.StubServer;
import io.canaryproxy.testing.TestConfigs;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A real client: curl (CI installs it), with keep-alive across URLs and a chunked upload from
 * stdin.
 */
class CurlIT {
  private StubServer backend;
  private RunningProxy proxy;

  @BeforeEach
  void start() throws InterruptedException {
    backend =
        StubServer.start(
            (ctx, req) ->
                StubServer.reply(
                    ctx,
                    HttpResponseStatus.OK,
                    req.method() + " " + req.bodyBytes() + " " + req.crc32() + "\n"));
    proxy =
        new RunningProxy(
            TestConfigs.proxy(
                Map.of("stable", backend.endpoint(), "canary", backend.endpoint()),
                TestConfigs.routing(0, List.of(), "127.0.0.1/32"),
                TestConfigs.defaultTimeouts(),
                TestConfigs.defaultLimits()));
  }

  @AfterEach
  void stop() {
    proxy.close();
    backend.close();
  }

  private static Process curl(String... args) throws Exception {
    List<String> cmd = new java.util.ArrayList<>(List.of("curl", "-sS", "--max-time", "20"));
    cmd.addAll(List.of(args));
    return new ProcessBuilder(cmd).start();
  }

  @Test
  void curlReusesOneClientConnectionAcrossRequests() throws Exception {
    Process p = curl("-v", proxy.url("/a"), proxy.url("/b"), proxy.url("/c"));
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(err).isZero();
    assertThat(out.lines().toList()).containsExactly("GET 0 0", "GET 0 0", "GET 0 0");
    assertThat(err).contains("Re-using existing connection");
    assertThat(backend.connections()).isEqualTo(1);
  }

  @Test
  void curlChunkedUploadFromStdinArrivesIntact() throws Exception {
    byte[] body = new byte[3 * 1024 * 1024 + 17];
    for (int i = 0; i < body.length; i++) {
      body[i] = (byte) (i * 31);
    }
    CRC32 crc = new CRC32();
    crc.update(body);
    Process p = curl("-T", "-", proxy.url("/upload"));
    try (OutputStream in = p.getOutputStream()) {
      in.write(body);
    }
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).isZero();
    assertThat(out.trim()).isEqualTo("PUT " + body.length + " " + crc.getValue());
    assertThat(backend.received().get(0).header("transfer-encoding")).isEqualTo("chunked");
  }
}
