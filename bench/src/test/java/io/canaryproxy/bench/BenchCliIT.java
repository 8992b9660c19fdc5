package io.canaryproxy.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.canaryproxy.bench.backend.StubBackend;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The command line as a user runs it: exit codes, the --json contract, the HTML and report outputs.
 */
@Timeout(60)
class BenchCliIT {
  @TempDir Path dir;

  @Test
  void jsonHoldsTheContractFieldsAndHtmlPlotsBothCurves() throws Exception {
    Path json = dir.resolve("run.json");
    Path html = dir.resolve("run.html");
    Path hlog = dir.resolve("run.hlog");
    try (StubBackend backend =
        StubBackend.builder().latency(java.time.Duration.ofMillis(1)).start()) {
      int exit =
          BenchMain.commandLine()
              .execute(
                  "--rate",
                  "200",
                  "--duration",
                  "1s",
                  "--connections",
                  "4",
                  "--quiet",
                  "--header",
                  "x-test: yes",
                  "--users",
                  "50",
                  "--user-dist",
                  "zipf:1.1",
                  "--json",
                  json.toString(),
                  "--html",
                  html.toString(),
                  "--hlog",
                  hlog.toString(),
                  "http://127.0.0.1:" + backend.port() + "/path?q=1");
      assertThat(exit).isZero();
    }
    JsonNode root = new ObjectMapper().readTree(json.toFile());
    assertThat(root.get("requestedRate").asDouble()).isEqualTo(200.0);
    assertThat(root.get("achievedRate").isNumber()).isTrue();
    assertThat(root.get("requests").asLong()).isEqualTo(200);
    assertThat(root.get("errors").asLong()).isZero();
    assertThat(root.has("rateWarning")).isTrue();
    for (String curve : new String[] {"corrected", "uncorrected"}) {
      JsonNode c = root.get(curve);
      for (String field : new String[] {"p50", "p90", "p99", "p999", "max"}) {
        assertThat(c.get(field).isNumber()).as(curve + "." + field).isTrue();
      }
      assertThat(c.get("p50").asDouble()).isGreaterThanOrEqualTo(1.0);
      assertThat(c.get("max").asDouble()).isGreaterThanOrEqualTo(c.get("p99").asDouble());
    }
    String page = Files.readString(html);
    assertThat(page).contains("<svg").contains("99.999%");
    assertThat(page.split("<polyline", -1)).hasSize(3);

    Path overlay = dir.resolve("overlay.html");
    int exit =
        BenchMain.commandLine()
            .execute("report", "--html", overlay.toString(), json.toString(), hlog.toString());
    assertThat(exit).isZero();
    String both = Files.readString(overlay);
    assertThat(both).contains("run.json").contains("run.hlog");
    assertThat(both.split("<polyline", -1)).hasSize(4);
  }

  @Test
  void refusesADurationOverOneHour() {
    int exit =
        BenchMain.commandLine().execute("--rate", "10", "--duration", "2h", "http://127.0.0.1:1/");
    assertThat(exit).isEqualTo(2);
  }

  @Test
  void failsWhenTheTargetIsDown() {
    int exit =
        BenchMain.commandLine().execute("--rate", "10", "--duration", "1s", "http://127.0.0.1:1/");
    assertThat(exit).isEqualTo(1);
  }

  @Test
  void backendOptionsReachTheStub() throws Exception {
    BackendCommand cmd = new BackendCommand();
    new CommandLine(cmd)
        .parseArgs(
            "--port", "0", "--variant-name", "canary-v2", "--body", "hello", "--error-rate", "1.0");
    try (StubBackend backend = cmd.builder().start()) {
      HttpResponse<String> response =
          HttpClient.newHttpClient()
              .send(
                  HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + backend.port() + "/"))
                      .build(),
                  HttpResponse.BodyHandlers.ofString());
      assertThat(response.statusCode()).isEqualTo(500);
      assertThat(response.headers().firstValue("x-backend")).hasValue("canary-v2");
    }
  }
}
