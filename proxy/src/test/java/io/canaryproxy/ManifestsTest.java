package io.canaryproxy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.canaryproxy.config.ConfigLoader;
import io.canaryproxy.config.HostPort;
import io.canaryproxy.config.ProxyConfig;
import io.canaryproxy.metrics.LatencyRecorders;
import io.canaryproxy.metrics.Measure;
import io.canaryproxy.routing.RequestView;
import io.canaryproxy.routing.RoutingResult;
import io.canaryproxy.routing.RoutingTable;
import io.canaryproxy.routing.Variant;
import io.canaryproxy.testing.RepoFiles;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The Kubernetes manifests in {@code config/k8s/}: every canary-proxy container is probed, locked
 * down, bounded and drained as docs/operations.md says, its ConfigMap holds a valid config, and in
 * the sidecar layout every pod routes every user to the same version.
 */
class ManifestsTest {
  private static final YAMLMapper YAML = new YAMLMapper();
  private static final String CONFIG_DIR = "/etc/canary-proxy";

  /** A pod template with its canary-proxy container and the config that container runs. */
  record ProxyPod(
      String file,
      JsonNode deployment,
      JsonNode pod,
      JsonNode proxy,
      boolean sidecar,
      ProxyConfig config) {
    String name() {
      return file + "/" + deployment.at("/metadata/name").asText();
    }
  }

  static Stream<Path> manifests() throws IOException {
    try (Stream<Path> files = Files.list(RepoFiles.file("config/k8s"))) {
      List<Path> yaml = files.filter(p -> p.toString().endsWith(".yaml")).sorted().toList();
      assertThat(yaml)
          .extracting(p -> p.getFileName().toString())
          .contains("ingress.yaml", "sidecar.yaml");
      return yaml.stream();
    }
  }

  static Stream<ProxyPod> proxyPods() throws Exception {
    List<ProxyPod> out = new ArrayList<>();
    for (Path file : manifests().toList()) {
      List<JsonNode> docs = documents(file);
      for (JsonNode d : docs) {
        if (!d.path("kind").asText().equals("Deployment")) {
          continue;
        }
        JsonNode pod = d.at("/spec/template/spec");
        for (String list : List.of("containers", "initContainers")) {
          for (JsonNode c : pod.path(list)) {
            if (c.path("image").asText().contains("canary-proxy")) {
              out.add(
                  new ProxyPod(
                      file.getFileName().toString(),
                      d,
                      pod,
                      c,
                      list.equals("initContainers"),
                      configOf(docs, pod, c)));
            }
          }
        }
      }
    }
    assertThat(out)
        .extracting(ProxyPod::name)
        .contains(
            "ingress.yaml/canary-proxy", "sidecar.yaml/shop-canary", "sidecar.yaml/shop-stable");
    return out.stream();
  }

  @ParameterizedTest
  @MethodSource("proxyPods")
  void aPodScrapedByAnnotationServesMetricsWithoutAToken(ProxyPod p) {
    JsonNode annotations = p.deployment().at("/spec/template/metadata/annotations");
    if (annotations.path("prometheus.io/scrape").asText().equals("true")) {
      // An annotation-based scrape sends no token, and off loopback /metrics needs one unless
      // admin.publicMetrics is set.
      assertThat(p.config().admin().publicMetrics()).as(p.name()).isTrue();
      assertThat(annotations.path("prometheus.io/port").asInt())
          .as(p.name())
          .isEqualTo(p.config().admin().listen().port());
    }
  }

  @ParameterizedTest
  @MethodSource("proxyPods")
  void probesUseTheAdminEndpointsOnTheConfiguredAdminPort(ProxyPod p) {
    int adminPort = p.config().admin().listen().port();
    assertThat(p.config().admin().listen().host())
        .as("kubelet probes reach the pod IP")
        .isEqualTo("0.0.0.0");
    for (String[] probe :
        new String[][] {
          {"livenessProbe", "/healthz"}, {"readinessProbe", "/readyz"}, {"startupProbe", "/healthz"}
        }) {
      JsonNode get = p.proxy().path(probe[0]).path("httpGet");
      assertThat(get.path("path").asText()).as("%s %s", p.name(), probe[0]).isEqualTo(probe[1]);
      assertThat(containerPort(p.proxy(), get.path("port")))
          .as("%s %s", p.name(), probe[0])
          .isEqualTo(adminPort);
    }
  }

  @ParameterizedTest
  @MethodSource("proxyPods")
  void runsLockedDownWithAWritableStateDirectoryAndTmp(ProxyPod p) {
    JsonNode sc = p.proxy().path("securityContext");
    assertThat(sc.path("runAsNonRoot").asBoolean()).as(p.name()).isTrue();
    assertThat(sc.path("readOnlyRootFilesystem").asBoolean()).as(p.name()).isTrue();
    assertThat(sc.path("allowPrivilegeEscalation").isBoolean()).as(p.name()).isTrue();
    assertThat(sc.path("allowPrivilegeEscalation").asBoolean()).as(p.name()).isFalse();
    assertThat(sc.at("/capabilities/drop").toString()).as(p.name()).isEqualTo("[\"ALL\"]");
    for (String dir : List.of("/var/lib/canary-proxy", "/tmp")) {
      String volume = mountedAt(p.proxy(), dir);
      assertThat(volumeNamed(p.pod(), volume).has("emptyDir")).as("%s %s", p.name(), dir).isTrue();
    }
    if (p.config().rollout() != null) {
      assertThat(p.config().rollout().stateFile().getParent())
          .isEqualTo(Path.of("/var/lib/canary-proxy"));
    }
  }

  @ParameterizedTest
  @MethodSource("proxyPods")
  void graceOutlastsTheDrainAndResourcesAreBounded(ProxyPod p) {
    long grace = p.pod().path("terminationGracePeriodSeconds").asLong();
    long drain = p.config().drain().delay().plus(p.config().drain().timeout()).toSeconds();
    assertThat(grace).as(p.name()).isGreaterThan(25).isGreaterThan(drain);
    for (String kind : List.of("requests", "limits")) {
      for (String resource : List.of("cpu", "memory")) {
        assertThat(p.proxy().at("/resources/" + kind + "/" + resource).asText())
            .as("%s %s.%s", p.name(), kind, resource)
            .isNotEmpty();
      }
    }
  }

  /**
   * Resident memory that no JVM flag caps, measured with bench/footprint.py at the sidecar flags
   * (README, "Sizing"): libjvm and libc text, the image's class-data archive (relocated at start so
   * its pages are private; two archives before, the JDK's and a dynamic one, which fit too), GC and
   * compiler structures, symbols and malloc arenas.
   */
  static final long UNCAPPED_OVERHEAD_MIB = 64;

  /** Metaspace and code cache an uncapped JVM committed under the ingress job (NMT, README). */
  static final long UNCAPPED_METASPACE_MIB = 32;

  static final long UNCAPPED_CODE_CACHE_MIB = 16;

  /** Threads besides the event loops (JVM, GC, compilers, metrics, config watch, reload). */
  static final int THREADS_BESIDES_EVENT_LOOPS = 26;

  /**
   * Peak RSS of the sidecar flags and config under the sidecar job at 1,000 req/s, with the image's
   * static AppCDS archive (README, "Sizing": 74.8-74.9 MiB).
   */
  static final long SIDECAR_PEAK_RSS_MIB = 75;

  /** The memory request is the measured peak plus this share of it, for what was not measured. */
  static final long SIDECAR_REQUEST_HEADROOM_PERCENT = 20;

  /**
   * Every pool the JVM may commit, each at its cap, fits the memory limit: heap, direct buffers,
   * metaspace, code cache, thread stacks and the measured uncapped overhead. Then a shortage is met
   * by the JVM (backpressure, or an OutOfMemoryError that ends the process: the image sets
   * ExitOnOutOfMemoryError) instead of the kernel's OOM kill. A pool the options leave uncapped
   * counts as the image's MaxRAMPercentage (heap) or as measured (metaspace, code cache).
   */
  @ParameterizedTest
  @MethodSource("proxyPods")
  void everyJvmPoolAtItsCapFitsTheMemoryLimit(ProxyPod p) throws IOException {
    JvmOptions o = JvmOptions.of(entrypoint(), javaToolOptions(p));
    long limit = mebibytes(p.proxy().at("/resources/limits/memory").asText());
    assertThat(o.mebibytes("-XX:MaxDirectMemorySize="))
        .as("%s caps direct memory in JAVA_TOOL_OPTIONS", p.name())
        .isNotNull();
    Long percent = o.number("-XX:MaxRAMPercentage=");
    assertThat(percent).as("the Dockerfile sets MaxRAMPercentage").isNotNull();
    long heap = o.heapMebibytes() != null ? o.heapMebibytes() : limit * percent / 100;
    long direct = o.mebibytes("-XX:MaxDirectMemorySize=");
    long metaspace = orElse(o.mebibytes("-XX:MaxMetaspaceSize="), UNCAPPED_METASPACE_MIB);
    long code = orElse(o.mebibytes("-XX:ReservedCodeCacheSize="), UNCAPPED_CODE_CACHE_MIB);
    long stackKib = o.xssKibibytes() != null ? o.xssKibibytes() : 1024;
    long threads = THREADS_BESIDES_EVENT_LOOPS + p.config().ioThreads();
    long stacks = (threads * stackKib + 1023) / 1024;
    assertThat(heap + direct + metaspace + code + stacks + UNCAPPED_OVERHEAD_MIB)
        .as(
            "%s: heap %d + direct %d + metaspace %d + code %d + stacks %d + overhead %d MiB vs"
                + " limit %d MiB",
            p.name(), heap, direct, metaspace, code, stacks, UNCAPPED_OVERHEAD_MIB, limit)
        .isLessThanOrEqualTo(limit);
  }

  /**
   * A sidecar is paid for in every pod, so every pool is capped explicitly (none left to the
   * percentage of the limit or to defaults sized for a server), it runs the serial collector (no GC
   * threads, the smallest GC structures), and its request covers the measured peak.
   */
  @ParameterizedTest
  @MethodSource("proxyPods")
  void aSidecarCapsEveryPoolAndRequestsItsMeasuredPeak(ProxyPod p) throws IOException {
    if (!p.sidecar()) {
      return;
    }
    JvmOptions o = JvmOptions.of(entrypoint(), javaToolOptions(p));
    assertThat(o.heapMebibytes()).as("%s -Xmx", p.name()).isNotNull();
    for (String cap :
        List.of(
            "-XX:MaxDirectMemorySize=", "-XX:MaxMetaspaceSize=", "-XX:ReservedCodeCacheSize=")) {
      assertThat(o.mebibytes(cap)).as("%s %s", p.name(), cap).isNotNull();
    }
    assertThat(o.xssKibibytes()).as("%s -Xss", p.name()).isNotNull();
    assertThat(o.has("-XX:+UseSerialGC")).as("%s -XX:+UseSerialGC", p.name()).isTrue();
    long request = mebibytes(p.proxy().at("/resources/requests/memory").asText());
    long limit = mebibytes(p.proxy().at("/resources/limits/memory").asText());
    assertThat(request)
        .as(p.name())
        .isGreaterThanOrEqualTo(
            SIDECAR_PEAK_RSS_MIB * (100 + SIDECAR_REQUEST_HEADROOM_PERCENT) / 100)
        .isLessThan(limit);
  }

  /**
   * The latency histograms the metrics keep (per variant and measure: two in the recorder, the
   * recycled one, the cumulative one, and one per retained interval) take at most a quarter of the
   * heap. The first four are fixed arrays sized by {@code metrics.significantDigits} and the range;
   * a retained interval is packed, its size follows the buckets its latencies populate, and at
   * worst (every bucket populated, with large counts) it is as large as a full one: that worst case
   * is what is counted here.
   */
  @ParameterizedTest
  @MethodSource("proxyPods")
  void retainedLatencyHistogramsFitAQuarterOfTheHeap(ProxyPod p) throws IOException {
    JvmOptions o = JvmOptions.of(entrypoint(), javaToolOptions(p));
    long limit = mebibytes(p.proxy().at("/resources/limits/memory").asText());
    long heap =
        o.heapMebibytes() != null
            ? o.heapMebibytes()
            : limit * o.number("-XX:MaxRAMPercentage=") / 100;
    LatencyRecorders recorders = new LatencyRecorders(p.config().metrics());
    long perInterval = 0;
    long fixed = 0;
    for (Variant v : Variant.values()) {
      for (Measure m : Measure.values()) {
        long full = recorders.cumulative(v, m).getEstimatedFootprintInBytes();
        perInterval += full;
        fixed += 4L * full;
      }
    }
    long retained = fixed + perInterval * p.config().metrics().window();
    assertThat(retained)
        .as("%s: histograms %d KiB vs heap %d MiB", p.name(), retained >> 10, heap)
        .isLessThanOrEqualTo(heap * 1024 * 1024 / 4);
  }

  /** bench/compare.sh measures canary-proxy with the flags the sidecar ships. */
  @Test
  void compareShRunsTheSidecarsFlags() throws Exception {
    Matcher m =
        Pattern.compile("(?m)^SIDECAR_FLAGS\\+?=\"([^\"]*)\"")
            .matcher(Files.readString(RepoFiles.file("bench/compare.sh")));
    StringBuilder flags = new StringBuilder();
    while (m.find()) {
      flags.append(' ').append(m.group(1));
    }
    List<ProxyPod> sidecars = proxyPods().filter(ProxyPod::sidecar).toList();
    assertThat(sidecars).isNotEmpty();
    for (ProxyPod p : sidecars) {
      assertThat(flags.toString().trim().split("\\s+"))
          .as("SIDECAR_FLAGS in bench/compare.sh vs %s", p.name())
          .containsExactly(javaToolOptions(p).trim().split("\\s+"));
    }
    Matcher env =
        Pattern.compile("(?m)^SIDECAR_ENV=\"([^\"]*)\"")
            .matcher(Files.readString(RepoFiles.file("bench/compare.sh")));
    assertThat(env.find()).as("SIDECAR_ENV in bench/compare.sh").isTrue();
    for (ProxyPod p : sidecars) {
      assertThat(env.group(1).trim().split("\\s+"))
          .as("SIDECAR_ENV in bench/compare.sh vs %s", p.name())
          .containsExactlyElementsOf(
              otherEnv(p).entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).toList());
    }
  }

  /**
   * {@link #UNCAPPED_OVERHEAD_MIB} was measured with one malloc arena. Without MALLOC_ARENA_MAX,
   * glibc gives threads that allocate at once arenas of their own (up to 8 per core, each growing
   * to 64 MiB), which no JVM flag caps.
   */
  @ParameterizedTest
  @MethodSource("proxyPods")
  void aSidecarRunsWithOneMallocArena(ProxyPod p) {
    if (p.sidecar()) {
      assertThat(otherEnv(p)).as(p.name()).containsEntry("MALLOC_ARENA_MAX", "1");
    }
  }

  /**
   * The JVM accepts the options the container gives it (JAVA_TOOL_OPTIONS, then the image's
   * ENTRYPOINT, with the container's other environment variables): a misspelt flag, or a diagnostic
   * or experimental one without its unlock flag, would stop every pod at start-up. The image's
   * archive is left out (it exists only in the image; DockerfileTest checks it).
   */
  @ParameterizedTest
  @MethodSource("proxyPods")
  void theJvmStartsWithTheContainersOptions(ProxyPod p) throws Exception {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    for (String o : JvmOptions.of(entrypoint(), javaToolOptions(p)).all()) {
      if (o.equals("-jar")) {
        break;
      }
      if (!o.equals("java") && !o.startsWith("-XX:SharedArchiveFile=")) {
        cmd.add(o);
      }
    }
    cmd.add("-version");
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().remove("JAVA_TOOL_OPTIONS");
    pb.environment().putAll(otherEnv(p));
    Process java = pb.start();
    String out = new String(java.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(java.waitFor()).as("%s: %s%n%s", p.name(), cmd, out).isZero();
    assertThat(out).as("%s: %s", p.name(), cmd).doesNotContainIgnoringCase("warning");
  }

  /** The container's environment variables besides JAVA_TOOL_OPTIONS, in manifest order. */
  private static Map<String, String> otherEnv(ProxyPod p) {
    Map<String, String> env = new LinkedHashMap<>();
    for (JsonNode e : p.proxy().path("env")) {
      String name = e.path("name").asText();
      if (!name.equals("JAVA_TOOL_OPTIONS") && e.has("value")) {
        env.put(name, e.path("value").asText());
      }
    }
    return env;
  }

  private static long orElse(Long value, long otherwise) {
    return value != null ? value : otherwise;
  }

  private static List<String> entrypoint() throws IOException {
    String args =
        DockerfileTest.parse(RepoFiles.file("Dockerfile")).stream()
            .filter(i -> i.keyword().equals("ENTRYPOINT"))
            .reduce((x, y) -> y)
            .orElseThrow()
            .args();
    return List.of(YAML.readValue(args, String[].class));
  }

  private static String javaToolOptions(ProxyPod p) {
    for (JsonNode env : p.proxy().path("env")) {
      if (env.path("name").asText().equals("JAVA_TOOL_OPTIONS")) {
        return env.path("value").asText();
      }
    }
    return "";
  }

  /**
   * The options the JVM sees: JAVA_TOOL_OPTIONS first, then the image's ENTRYPOINT, so the
   * entrypoint's value wins when both set one flag.
   */
  record JvmOptions(List<String> all) {
    static JvmOptions of(List<String> entrypoint, String javaToolOptions) {
      List<String> all = new ArrayList<>();
      if (!javaToolOptions.isBlank()) {
        all.addAll(List.of(javaToolOptions.trim().split("\\s+")));
      }
      all.addAll(entrypoint);
      return new JvmOptions(all);
    }

    boolean has(String option) {
      return all.contains(option);
    }

    /** The last value of an option written {@code prefix + value}, or null. */
    String value(String prefix) {
      String found = null;
      for (String o : all) {
        if (o.startsWith(prefix)) {
          found = o.substring(prefix.length());
        }
      }
      return found;
    }

    Long number(String prefix) {
      String v = value(prefix);
      return v == null ? null : Long.parseLong(v);
    }

    /** A size option in MiB ({@code k}, {@code m}, {@code g} suffixes), or null. */
    Long mebibytes(String prefix) {
      Long k = kibibytes(prefix);
      return k == null ? null : (k + 1023) / 1024;
    }

    Long kibibytes(String prefix) {
      String v = value(prefix);
      if (v == null) {
        return null;
      }
      Matcher m = Pattern.compile("([0-9]+)([kKmMgG]?)").matcher(v);
      assertThat(m.matches()).as("size %s%s", prefix, v).isTrue();
      long n = Long.parseLong(m.group(1));
      return switch (m.group(2).toLowerCase(java.util.Locale.ROOT)) {
        case "k" -> n;
        case "m" -> n * 1024;
        case "g" -> n * 1024 * 1024;
        default -> (n + 1023) / 1024;
      };
    }

    Long heapMebibytes() {
      return value("-Xmx") != null ? mebibytes("-Xmx") : mebibytes("-XX:MaxHeapSize=");
    }

    Long xssKibibytes() {
      return kibibytes("-Xss");
    }
  }

  private static long mebibytes(String quantity) {
    if (quantity.endsWith("Gi")) {
      return Long.parseLong(quantity.substring(0, quantity.length() - 2)) * 1024;
    }
    assertThat(quantity).endsWith("Mi");
    return Long.parseLong(quantity.substring(0, quantity.length() - 2));
  }

  @ParameterizedTest
  @MethodSource("proxyPods")
  void sidecarsAreNativeAndShareThePodWithTheApp(ProxyPod p) {
    if (p.file().equals("sidecar.yaml")) {
      assertThat(p.sidecar()).as(p.name()).isTrue();
      assertThat(p.pod().path("containers")).as(p.name()).isNotEmpty();
    }
    if (p.sidecar()) {
      assertThat(p.proxy().path("restartPolicy").asText()).as(p.name()).isEqualTo("Always");
    }
  }

  @ParameterizedTest
  @MethodSource("manifests")
  void noServiceExposesTheAdminPort(Path file) throws Exception {
    List<JsonNode> docs = documents(file);
    List<ProxyPod> pods =
        proxyPods().filter(p -> p.file().equals(file.getFileName().toString())).toList();
    for (JsonNode svc : docs) {
      if (!svc.path("kind").asText().equals("Service")) {
        continue;
      }
      for (JsonNode port : svc.at("/spec/ports")) {
        JsonNode target = port.has("targetPort") ? port.get("targetPort") : port.get("port");
        for (ProxyPod p : pods) {
          Integer targeted = containerPortOrNull(p.proxy(), target);
          assertThat(targeted == null || targeted != p.config().admin().listen().port())
              .as(
                  "%s port %s reaches the admin port of %s",
                  svc.at("/metadata/name").asText(), target, p.name())
              .isTrue();
        }
      }
    }
  }

  @ParameterizedTest
  @MethodSource("manifests")
  void everyConfigMapHoldsAValidConfig(Path file) throws Exception {
    for (JsonNode d : documents(file)) {
      if (d.path("kind").asText().equals("ConfigMap")) {
        for (var e : d.path("data").properties()) {
          ConfigLoader.parse(e.getValue().asText());
        }
      }
    }
  }

  @Test
  void configMapsShipTheDocumentedExamples() throws Exception {
    assertThat(podNamed("ingress.yaml/canary-proxy").config())
        .isEqualTo(ConfigLoader.parse(Files.readString(RepoFiles.file("config/ingress.yaml"))));
    assertThat(podNamed("sidecar.yaml/shop-canary").config())
        .isEqualTo(ConfigLoader.parse(Files.readString(RepoFiles.file("config/sidecar.yaml"))));
  }

  @Test
  void everySidecarRoutesEveryUserTheSameWay() throws Exception {
    List<ProxyPod> pods = proxyPods().filter(ProxyPod::sidecar).toList();
    assertThat(pods).hasSizeGreaterThanOrEqualTo(2);
    List<RoutingTable> tables =
        pods.stream().map(p -> RoutingTable.compile(p.config().routing())).toList();
    RoutingResult out = new RoutingResult();
    int canaryUsers = 0;
    for (int u = 0; u < 5000; u++) {
      List<String> variants = new ArrayList<>();
      for (RoutingTable t : tables) {
        t.route(user("user-" + u), out);
        variants.add(out.variant.name());
      }
      assertThat(variants).as("user-%d", u).containsOnly(variants.get(0));
      canaryUsers += variants.get(0).equals("CANARY") ? 1 : 0;
    }
    assertThat(canaryUsers).isBetween(1, 4999);
  }

  @Test
  void eachSidecarServesItsOwnTrackLocallyAndForwardsToTheOtherTracksApp() throws Exception {
    List<JsonNode> docs = documents(RepoFiles.file("config/k8s/sidecar.yaml"));
    for (ProxyPod p : proxyPods().filter(ProxyPod::sidecar).toList()) {
      String track = p.deployment().at("/spec/template/metadata/labels/track").asText();
      String other = track.equals("canary") ? "stable" : "canary";
      ProxyConfig c = p.config();
      String local = track.equals("canary") ? c.routing().canary() : c.routing().stable();
      String remote = track.equals("canary") ? c.routing().stable() : c.routing().canary();
      assertThat(c.backends().get(local).endpoints())
          .as(p.name())
          .containsExactly(new HostPort("127.0.0.1", 8081));
      HostPort forward = c.backends().get(remote).endpoints().get(0);
      JsonNode svc =
          docs.stream()
              .filter(d -> d.path("kind").asText().equals("Service"))
              .filter(d -> forward.host().startsWith(d.at("/metadata/name").asText() + "."))
              .findFirst()
              .orElseThrow(() -> new AssertionError(p.name() + ": no Service for " + forward));
      assertThat(svc.at("/spec/selector/track").asText()).as(p.name()).isEqualTo(other);
      JsonNode port = svc.at("/spec/ports/0");
      assertThat(port.path("port").asInt()).isEqualTo(forward.port());
      JsonNode app = p.pod().path("containers").get(0);
      assertThat(containerPort(app, port.path("targetPort")))
          .as("%s forwards to the app, not its sidecar", p.name())
          .isEqualTo(8081);
    }
  }

  private static ProxyPod podNamed(String name) throws Exception {
    return proxyPods().filter(p -> p.name().equals(name)).findFirst().orElseThrow();
  }

  private static List<JsonNode> documents(Path file) throws IOException {
    try (var it = YAML.readerFor(JsonNode.class).<JsonNode>readValues(file.toFile())) {
      return it.readAll().stream().filter(d -> d != null && !d.isNull()).toList();
    }
  }

  /**
   * The config the container runs: its --config file, from the ConfigMap mounted at
   * /etc/canary-proxy.
   */
  private static ProxyConfig configOf(List<JsonNode> docs, JsonNode pod, JsonNode container)
      throws Exception {
    JsonNode args = container.path("args");
    assertThat(args.toString()).contains("\"--config\",\"" + CONFIG_DIR + "/config.yaml\"");
    String configMap =
        volumeNamed(pod, mountedAt(container, CONFIG_DIR)).at("/configMap/name").asText();
    JsonNode cm =
        docs.stream()
            .filter(
                d ->
                    d.path("kind").asText().equals("ConfigMap")
                        && d.at("/metadata/name").asText().equals(configMap))
            .findFirst()
            .orElseThrow(() -> new AssertionError("no ConfigMap " + configMap));
    return ConfigLoader.parse(cm.at("/data/config.yaml").asText());
  }

  private static String mountedAt(JsonNode container, String path) {
    for (JsonNode m : container.path("volumeMounts")) {
      if (m.path("mountPath").asText().equals(path)) {
        return m.path("name").asText();
      }
    }
    throw new AssertionError(container.path("name").asText() + ": nothing mounted at " + path);
  }

  private static JsonNode volumeNamed(JsonNode pod, String name) {
    for (JsonNode v : pod.path("volumes")) {
      if (v.path("name").asText().equals(name)) {
        return v;
      }
    }
    throw new AssertionError("no volume " + name);
  }

  private static int containerPort(JsonNode container, JsonNode port) {
    Integer n = containerPortOrNull(container, port);
    assertThat(n).as("port %s of %s", port, container.path("name").asText()).isNotNull();
    return n;
  }

  /**
   * A number, or the number of the container's port with that name; null for another container's
   * name.
   */
  private static Integer containerPortOrNull(JsonNode container, JsonNode port) {
    if (port.isInt()) {
      return port.asInt();
    }
    for (JsonNode p : container.path("ports")) {
      if (p.path("name").asText().equals(port.asText())) {
        return p.path("containerPort").asInt();
      }
    }
    return null;
  }

  private static RequestView user(String key) {
    return new RequestView() {
      @Override
      public String header(String lowerCaseName) {
        return lowerCaseName.equals("x-user-id") ? key : null;
      }

      @Override
      public String path() {
        return "/";
      }

      @Override
      public InetAddress remoteAddress() {
        return InetAddress.getLoopbackAddress();
      }
    };
  }
}
