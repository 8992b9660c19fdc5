package io.canaryproxy.discovery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.canaryproxy.config.DnsConfig;
import io.canaryproxy.config.HostPort;
import io.canaryproxy.testing.TestDnsServer;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The directory against a real DNS server on a loopback UDP port. */
class EndpointDirectoryIT {
  private TestDnsServer dns;
  private EndpointDirectory directory;

  @BeforeEach
  void startDns() throws InterruptedException {
    dns = TestDnsServer.start();
  }

  @AfterEach
  void stop() {
    if (directory != null) {
      directory.close();
    }
    dns.close();
  }

  private EndpointDirectory directory(Duration minTtl, Duration maxTtl, DnsConfig.Family family) {
    directory =
        new EndpointDirectory(
            new DnsConfig(
                minTtl,
                maxTtl,
                family,
                List.of(HostPort.parse(dns.address())),
                Duration.ofMillis(500)));
    return directory;
  }

  private static List<String> shown(List<InetSocketAddress> addresses) {
    return addresses.stream().map(EndpointDirectory::show).toList();
  }

  @Test
  void aNameIsSpreadOverEveryAddressItHas() throws InterruptedException {
    dns.set("app.shop.test", 30, "127.0.0.3", "127.0.0.2", "127.0.0.4");
    EndpointDirectory d =
        directory(Duration.ofSeconds(1), Duration.ofSeconds(30), DnsConfig.Family.V4_PREFERRED);

    d.track("backends", Set.of(HostPort.parse("app.shop.test:8080")));

    assertThat(shown(d.addresses(HostPort.parse("app.shop.test:8080"))))
        .containsExactly("127.0.0.2:8080", "127.0.0.3:8080", "127.0.0.4:8080");
    assertThat(d.successes()).isEqualTo(1);
  }

  @Test
  void literalsNeedNoResolverAndNoThread() throws InterruptedException {
    directory =
        new EndpointDirectory(
            DnsConfig.defaults(),
            () -> {
              throw new AssertionError("a literal must not start a resolver");
            });

    directory.track(
        "backends", Set.of(HostPort.parse("127.0.0.1:9001"), HostPort.parse("[::1]:9002")));

    assertThat(shown(directory.addresses(HostPort.parse("127.0.0.1:9001"))))
        .containsExactly("127.0.0.1:9001");
    assertThat(shown(directory.addresses(HostPort.parse("[::1]:9002"))))
        .containsExactly("[0:0:0:0:0:0:0:1]:9002");
  }

  @Test
  void localhostResolvesFromTheHostsFile() throws InterruptedException {
    // The system's resolver configuration, as in production; /etc/hosts answers before any name
    // server.
    directory = new EndpointDirectory(DnsConfig.defaults());

    directory.track("backends", Set.of(HostPort.parse("localhost:9001")));

    assertThat(shown(directory.addresses(HostPort.parse("localhost:9001"))))
        .containsExactly("127.0.0.1:9001");
  }

  @Test
  void anExpiredAnswerIsAskedAgainAndListenersHearTheChange() throws InterruptedException {
    dns.set("app.shop.test", 1, "127.0.0.2", "127.0.0.3");
    EndpointDirectory d =
        directory(Duration.ofMillis(200), Duration.ofSeconds(30), DnsConfig.Family.V4_PREFERRED);
    AtomicInteger heard = new AtomicInteger();
    d.addListener(heard::incrementAndGet);
    HostPort app = HostPort.parse("app.shop.test:80");
    d.track("backends", Set.of(app));

    dns.set("app.shop.test", 1, "127.0.0.3", "127.0.0.5"); // one pod left, one came

    await()
        .atMost(Duration.ofSeconds(5))
        .untilAsserted(
            () ->
                assertThat(shown(d.addresses(app)))
                    .containsExactly("127.0.0.3:80", "127.0.0.5:80"));
    // once for the first answer, once for the change; refreshes that change nothing are silent
    await().atMost(Duration.ofSeconds(2)).until(() -> heard.get() == 2);
    assertThat(d.changes()).isEqualTo(1);
  }

  @Test
  void theCeilingAppliesToALongTtl() throws InterruptedException {
    dns.set("app.shop.test", 3600, "127.0.0.2");
    EndpointDirectory d =
        directory(Duration.ofMillis(100), Duration.ofMillis(500), DnsConfig.Family.V4_PREFERRED);
    HostPort app = HostPort.parse("app.shop.test:80");
    d.track("backends", Set.of(app));

    dns.set("app.shop.test", 3600, "127.0.0.7");

    await()
        .atMost(Duration.ofSeconds(5))
        .untilAsserted(() -> assertThat(shown(d.addresses(app))).containsExactly("127.0.0.7:80"));
  }

  @Test
  void theFloorAndCeilingBoundTheRefreshDelay() {
    DnsConfig c =
        new DnsConfig(
            Duration.ofSeconds(2),
            Duration.ofSeconds(60),
            DnsConfig.Family.V4_PREFERRED,
            List.of(),
            Duration.ofSeconds(1));

    assertThat(EndpointDirectory.delayMillis(c, 0, 0))
        .isEqualTo(2_000); // TTL 0 would ask on every request
    assertThat(EndpointDirectory.delayMillis(c, 5, 0)).isEqualTo(5_000);
    assertThat(EndpointDirectory.delayMillis(c, 86_400, 0))
        .isEqualTo(60_000); // /etc/hosts entries say a day
    assertThat(EndpointDirectory.delayMillis(c, Long.MAX_VALUE, 0)).isEqualTo(60_000);
    // failures back off from the floor, doubling, up to the ceiling
    assertThat(EndpointDirectory.delayMillis(c, 5, 1)).isEqualTo(2_000);
    assertThat(EndpointDirectory.delayMillis(c, 5, 2)).isEqualTo(4_000);
    assertThat(EndpointDirectory.delayMillis(c, 5, 5)).isEqualTo(32_000);
    assertThat(EndpointDirectory.delayMillis(c, 5, 6)).isEqualTo(60_000);
    assertThat(EndpointDirectory.delayMillis(c, 5, 1000)).isEqualTo(60_000);
  }

  @Test
  void aFailingNameServerLeavesTheLastAddressesInPlace() throws InterruptedException {
    dns.set("app.shop.test", 1, "127.0.0.2", "127.0.0.3");
    EndpointDirectory d =
        directory(Duration.ofMillis(100), Duration.ofMillis(300), DnsConfig.Family.V4_PREFERRED);
    HostPort app = HostPort.parse("app.shop.test:80");
    d.track("backends", Set.of(app));

    dns.failAll(true);
    await().atMost(Duration.ofSeconds(10)).until(() -> d.failures() >= 2);

    assertThat(shown(d.addresses(app))).containsExactly("127.0.0.2:80", "127.0.0.3:80");
    @SuppressWarnings("unchecked")
    Map<String, Object> state = (Map<String, Object>) d.names().get("app.shop.test");
    assertThat((Integer) state.get("failures")).isGreaterThanOrEqualTo(2);
    assertThat(state.get("lastError")).isNotNull();

    dns.set("app.shop.test", 1, "127.0.0.4");
    dns.failAll(false);
    await()
        .atMost(Duration.ofSeconds(5))
        .untilAsserted(() -> assertThat(shown(d.addresses(app))).containsExactly("127.0.0.4:80"));
  }

  @Test
  void aNameThatDoesNotResolveHasNoAddressUntilItDoes() throws InterruptedException {
    EndpointDirectory d =
        directory(Duration.ofMillis(100), Duration.ofMillis(400), DnsConfig.Family.V4_PREFERRED);
    HostPort app = HostPort.parse("later.shop.test:80");

    d.track("backends", Set.of(app));
    assertThat(d.addresses(app)).isEmpty();
    assertThat(d.failures()).isGreaterThanOrEqualTo(1);

    dns.set("later.shop.test", 5, "127.0.0.9");
    await()
        .atMost(Duration.ofSeconds(5))
        .untilAsserted(() -> assertThat(shown(d.addresses(app))).containsExactly("127.0.0.9:80"));
  }

  @Test
  void familiesPickTheirRecords() throws InterruptedException {
    dns.set("dual.shop.test", 30, "127.0.0.2", "::1");
    dns.set("six.shop.test", 30, "::1");
    HostPort dual = HostPort.parse("dual.shop.test:80");
    HostPort six = HostPort.parse("six.shop.test:80");

    EndpointDirectory preferred =
        directory(Duration.ofSeconds(1), Duration.ofSeconds(30), DnsConfig.Family.V4_PREFERRED);
    preferred.track("backends", Set.of(dual, six));
    assertThat(shown(preferred.addresses(dual))).containsExactly("127.0.0.2:80");
    assertThat(shown(preferred.addresses(six)))
        .containsExactly("[0:0:0:0:0:0:0:1]:80"); // falls back to AAAA
    preferred.close();

    EndpointDirectory all =
        directory(Duration.ofSeconds(1), Duration.ofSeconds(30), DnsConfig.Family.ALL);
    all.track("backends", Set.of(dual));
    assertThat(shown(all.addresses(dual))).containsExactly("127.0.0.2:80", "[0:0:0:0:0:0:0:1]:80");
    all.close();

    EndpointDirectory v4 =
        directory(Duration.ofSeconds(1), Duration.ofSeconds(30), DnsConfig.Family.V4_ONLY);
    v4.track("backends", Set.of(six));
    assertThat(v4.addresses(six)).isEmpty();
  }

  @Test
  void aNameNoOwnerUsesIsNoLongerAsked() throws InterruptedException {
    dns.set("old.shop.test", 1, "127.0.0.2");
    dns.set("mirror.shop.test", 1, "127.0.0.3");
    EndpointDirectory d =
        directory(Duration.ofMillis(100), Duration.ofMillis(200), DnsConfig.Family.V4_PREFERRED);
    HostPort old = HostPort.parse("old.shop.test:80");
    HostPort mirror = HostPort.parse("mirror.shop.test:80");
    d.track("backends", Set.of(old, mirror));
    d.track("mirror", Set.of(mirror));

    d.track("backends", Set.of()); // a reload dropped both; mirroring still uses one
    int asked = dns.questions("old.shop.test");
    int mirrorAsked = dns.questions("mirror.shop.test");
    await()
        .atMost(Duration.ofSeconds(5))
        .until(() -> dns.questions("mirror.shop.test") >= mirrorAsked + 3);

    // a query already on its way when the name was dropped may still arrive; nothing after it
    assertThat(dns.questions("old.shop.test")).isLessThanOrEqualTo(asked + 1);
    assertThat(d.addresses(old)).isEmpty();
    assertThat(shown(d.addresses(mirror))).containsExactly("127.0.0.3:80");
    assertThat(d.names()).containsOnlyKeys("mirror.shop.test");
  }
}
