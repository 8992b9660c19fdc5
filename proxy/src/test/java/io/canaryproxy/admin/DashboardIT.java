package io.canaryproxy.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.canaryproxy.testing.LiveProxy;
import io.canaryproxy.testing.RepoFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.logging.Level;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;

/**
 * The live dashboard in a real headless Chromium driven by Selenium, against a started proxy under
 * light load: no console errors, both variants with the numbers of {@code /admin/stats}, a growing
 * verdict trail, a rollback by button with the token, "disconnected" with the last data kept when
 * the proxy goes away. Saves {@code target/dashboard.png}, or {@code docs/dashboard.png} for the
 * README with {@code -Dcanaryproxy.updateScreenshot=true}. Skipped, with the reason printed, where
 * Chromium or chromedriver is not installed ({@code .ci/run} installs both).
 */
class DashboardIT {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  @TempDir Path dir;

  private LiveProxy live;
  private WebDriver browser;

  @AfterEach
  void stop() throws Exception {
    if (browser != null) {
      browser.quit();
    }
    if (live != null) {
      live.close();
    }
  }

  /** The first of {@code names} found on the PATH. */
  static Optional<Path> onPath(String... names) {
    String path = System.getenv().getOrDefault("PATH", "/usr/bin:/bin");
    for (String name : names) {
      for (String d : path.split(":")) {
        Path p = Path.of(d, name);
        if (Files.isExecutable(p)) {
          return Optional.of(p);
        }
      }
    }
    return Optional.empty();
  }

  private static Path require(Optional<Path> p, String what) {
    assumeTrue(
        p.isPresent(),
        () -> {
          String reason =
              "DashboardIT SKIPPED: no "
                  + what
                  + " on the PATH (apt-get install chromium chromium-driver; .ci/run does)";
          System.out.println(reason);
          return reason;
        });
    return p.get();
  }

  private WebDriver startBrowser(Path chromium, Path driver) throws Exception {
    ChromeOptions options = new ChromeOptions();
    options.setBinary(chromium.toFile());
    options.addArguments(
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--user-data-dir=" + Files.createDirectory(dir.resolve("chromium-profile")),
        "--window-size=1400,1250");
    LoggingPreferences logs = new LoggingPreferences();
    logs.enable(LogType.BROWSER, Level.ALL);
    options.setCapability("goog:loggingPrefs", logs);
    // An explicit driver executable keeps Selenium Manager from looking for one on the network.
    ChromeDriverService service =
        new ChromeDriverService.Builder()
            .usingDriverExecutable(driver.toFile())
            .usingAnyFreePort()
            .build();
    return new ChromeDriver(service, options);
  }

  @Test
  void showsTheLiveRolloutAndRollsBackByButton() throws Exception {
    Path chromium = require(onPath("chromium", "chromium-browser", "google-chrome"), "chromium");
    Path driver = require(onPath("chromedriver"), "chromedriver");
    live = new LiveProxy(dir);
    browser = startBrowser(chromium, driver);

    browser.get(live.adminUrl() + "/dashboard");

    assertThat(browser.getTitle()).isEqualTo("canary-proxy");
    await().atMost(Duration.ofSeconds(15)).until(() -> text("conn").equals("live"));
    for (String variant : List.of("stable", "canary")) {
      await()
          .atMost(Duration.ofSeconds(15))
          .pollInterval(Duration.ofMillis(200))
          .untilAsserted(() -> assertVariantMatchesStats(variant));
    }

    await().atMost(Duration.ofSeconds(15)).until(() -> verdictCount() >= 1);
    String newest = newestVerdict();
    long rows = verdictCount();
    await()
        .atMost(Duration.ofSeconds(15))
        .until(() -> verdictCount() >= rows && !newestVerdict().equals(newest));
    assertThat(text("state")).isEqualTo("progressing");

    browser.findElement(By.cssSelector("button[data-op=rollback]")).click();
    WebElement tokenInput = browser.findElement(By.id("tokenInput"));
    await().atMost(Duration.ofSeconds(15)).until(tokenInput::isDisplayed);
    tokenInput.sendKeys(LiveProxy.TOKEN);
    browser.findElement(By.id("tokenOk")).click();
    // How fast the page shows it is not asserted (no wall-clock thresholds in tests; the page polls
    // again as soon as the POST answers), only that it says the operation was done and shows it.
    await().atMost(Duration.ofSeconds(15)).until(() -> text("message").equals("rollback: done"));
    await().atMost(Duration.ofSeconds(15)).until(() -> text("state").equals("rolledBack"));
    assertThat(MAPPER.readTree(live.get("/admin/rollout")).path("state").asText())
        .isEqualTo("rolledBack");
    assertThat(text("percent")).isEqualTo("0.00");

    // Let one more poll draw the drop to 0% before the picture is taken.
    String before = newestVerdict();
    await().atMost(Duration.ofSeconds(5)).until(() -> !text("conn").isEmpty());
    // docs/dashboard.png only on request, so that a test run leaves the work tree as it was.
    Path png =
        Boolean.getBoolean("canaryproxy.updateScreenshot")
            ? RepoFiles.file("docs/dashboard.png")
            : Path.of("target", "dashboard.png");
    Files.createDirectories(png.getParent());
    Files.write(
        png, ((org.openqa.selenium.TakesScreenshot) browser).getScreenshotAs(OutputType.BYTES));
    assertThat(before).isNotEmpty();

    List<LogEntry> severe = severeConsoleEntries();
    assertThat(severe).as("console errors").isEmpty();

    // The proxy goes away: the page says so and keeps the last numbers. The load stops first and
    // the page's count is read once a later poll drew the same (the page polls once a second), so
    // that no poll can change it between the read and the close.
    live.stopLoad();
    String[] shown = {""};
    await()
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(1500))
        .until(
            () -> {
              String now = browser.findElement(By.cssSelector("#v-stable .requests")).getText();
              boolean settled = !now.isEmpty() && now.equals(shown[0]);
              shown[0] = now;
              return settled;
            });
    String lastRequests = shown[0];
    live.close();
    live = null;
    await().atMost(Duration.ofSeconds(10)).until(() -> text("conn").equals("disconnected"));
    assertThat(browser.findElement(By.cssSelector("#v-stable .requests")).getText())
        .isEqualTo(lastRequests)
        .isNotEmpty();
    assertThat(text("state")).isEqualTo("rolledBack");
  }

  private String text(String id) {
    return browser.findElement(By.id(id)).getText();
  }

  /**
   * The trail's rows are redrawn on every poll, so they are read in one script call rather than
   * through element references that a redraw makes stale.
   */
  private long verdictCount() {
    return (Long) js("return document.querySelectorAll('#trailBody tr').length;");
  }

  private String newestVerdict() {
    return (String)
        js("const r = document.querySelector('#trailBody tr'); return r ? r.innerText : '';");
  }

  private Object js(String script) {
    return ((JavascriptExecutor) browser).executeScript(script);
  }

  private List<LogEntry> severeConsoleEntries() {
    return browser.manage().logs().get(LogType.BROWSER).getAll().stream()
        .filter(e -> e.getLevel().intValue() >= Level.SEVERE.intValue())
        .toList();
  }

  /**
   * The page's last interval of {@code variant} is the one {@code /admin/stats} reports now, with
   * the same request count and p99 (the table shows them rounded).
   */
  /**
   * The page's numbers for {@code variant} are those of the interval it shows, as {@code
   * /admin/stats} lists it. The page polls once a second and intervals may close faster, so the
   * interval shown is looked up by its end in the stats' series rather than compared with the
   * newest one, which would race the next close.
   */
  private void assertVariantMatchesStats(String variant) throws Exception {
    WebElement row = browser.findElement(By.id("v-" + variant));
    String end = row.getDomAttribute("data-interval-end");
    assertThat(end).as("the page shows a closed interval").isNotBlank();
    JsonNode shownInterval = null;
    for (JsonNode interval : MAPPER.readTree(live.get("/admin/stats")).path("intervals")) {
      if (interval.path("endMillis").asText().equals(end)) {
        shownInterval = interval.path(variant);
      }
    }
    assertThat(shownInterval).as("interval ending %s in /admin/stats", end).isNotNull();
    assertThat(row.getDomAttribute("data-interval-requests"))
        .isEqualTo(shownInterval.path("requests").asText());
    double p99 = shownInterval.path("p99").asDouble();
    assertThat(Double.parseDouble(row.getDomAttribute("data-interval-p99"))).isEqualTo(p99);
    double shown = Double.parseDouble(row.findElement(By.cssSelector(".p99")).getText());
    assertThat(Math.abs(shown - p99)).isLessThanOrEqualTo(Math.max(0.01, p99 * 0.01));
    assertThat(
            Stream.of(".rps", ".requests", ".errors", ".p50", ".p90")
                .map(c -> row.findElement(By.cssSelector(c)).getText()))
        .allSatisfy(t -> assertThat(t).isNotBlank());
  }
}
