package io.canaryproxy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.canaryproxy.config.ConfigLoader;
import io.canaryproxy.config.ProxyConfig;
import io.canaryproxy.testing.RepoFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Element;

/**
 * There is no container engine on the build machine, so the Dockerfile's invariants are checked on
 * its text: a non-root numeric user, an exec-form entrypoint (the JVM is PID 1 and gets SIGTERM),
 * the jar the build really produces, the state directory and both ports.
 */
class DockerfileTest {
  private static final String STATE_DIR = "/var/lib/canary-proxy";
  private static final ObjectMapper JSON = new ObjectMapper();

  /** One instruction, continuation lines joined, with the index of the stage it belongs to. */
  record Instruction(int stage, String keyword, String args) {}

  private final List<Instruction> all = parse(RepoFiles.file("Dockerfile"));
  private final int last = all.get(all.size() - 1).stage();

  DockerfileTest() throws IOException {}

  @Test
  void buildsWithMavenAndRunsOnAJre() {
    assertThat(first(0, "FROM")).startsWith("maven:3.9-eclipse-temurin-17 ");
    assertThat(first(last, "FROM")).isEqualTo("eclipse-temurin:17-jre");
    assertThat(in(0, "RUN"))
        .anySatisfy(run -> assertThat(run).endsWith("mvn -B -DskipTests package"));
  }

  @Test
  void finalStageRunsAsANumericNonRootUser() {
    String user = first(last, "USER");
    assertThat(user).matches("[0-9]+(:[0-9]+)?");
    for (String id : user.split(":")) {
      assertThat(Integer.parseInt(id)).isNotZero();
    }
    String uid = user.split(":")[0];
    assertThat(in(last, "RUN"))
        .anySatisfy(
            run -> assertThat(run).containsPattern("chown " + uid + "(:[0-9]+)? " + STATE_DIR));
  }

  @Test
  void entrypointIsExecFormAndStartsTheJarWithContainerAwareJvmOptions() throws IOException {
    List<String> entrypoint = jsonArray(first(last, "ENTRYPOINT"));
    List<String> cmd = jsonArray(first(last, "CMD"));

    assertThat(entrypoint.get(0)).isEqualTo("java");
    assertThat(entrypoint)
        .contains("-XX:+ExitOnOutOfMemoryError")
        .anyMatch(o -> o.startsWith("-XX:MaxRAMPercentage="));
    assertThat(entrypoint.subList(entrypoint.size() - 2, entrypoint.size()))
        .containsExactly("-jar", "/opt/canary-proxy/canary-proxy.jar");
    assertThat(cmd).containsExactly("run", "--config", "/etc/canary-proxy/config.yaml");
  }

  /**
   * The AppCDS archive that the entrypoint maps is dumped from a training run of the same jar, in
   * the final stage (an archive is only valid for the JVM that wrote it), after the jar is copied
   * (it records the jar's size and time).
   */
  @Test
  void theFinalStageTrainsTheClassDataArchiveThatTheEntrypointMaps() throws IOException {
    List<String> entrypoint = jsonArray(first(last, "ENTRYPOINT"));
    String jar = entrypoint.get(entrypoint.indexOf("-jar") + 1);
    String archive =
        entrypoint.stream()
            .filter(o -> o.startsWith("-XX:SharedArchiveFile="))
            .map(o -> o.substring("-XX:SharedArchiveFile=".length()))
            .findFirst()
            .orElseThrow(() -> new AssertionError("ENTRYPOINT maps no -XX:SharedArchiveFile"));
    int copy = -1;
    int training = -1;
    for (int i = 0; i < all.size(); i++) {
      Instruction in = all.get(i);
      if (in.stage() == last && in.keyword().equals("COPY") && in.args().endsWith(" " + jar)) {
        copy = i;
      }
      // the training run lists the classes it loads; a static dump of that list writes the archive
      if (in.stage() == last
          && in.keyword().equals("RUN")
          && in.args().contains("-XX:DumpLoadedClassList=")
          && in.args().contains("-jar " + jar + " ")) {
        training = i;
        String list = in.args().split("-XX:DumpLoadedClassList=", 2)[1].split(" ", 2)[0];
        assertThat(in.args())
            .as("the static dump of the training run's class list")
            .contains(
                "java -Xshare:dump -XX:SharedClassListFile="
                    + list
                    + " -XX:SharedArchiveFile="
                    + archive
                    + " -cp "
                    + jar
                    + " ");
        assertThat(in.args())
            .as("the build fails without an archive")
            .contains("test -s " + archive);
      }
    }
    assertThat(copy).as("COPY of %s in the final stage", jar).isNotNegative();
    assertThat(training).as("training RUN writing %s from %s", archive, jar).isGreaterThan(copy);
  }

  /**
   * The training run (docker/cds-train.sh) starts the demo for its backends and drives `run` with
   * docker/cds-training.yaml: that config must point at the demo's backends and at the ports the
   * script calls, and do the sidecar's job (its event loops, mirror, rollout and histograms), so
   * that the archive holds what a sidecar loads. Otherwise the image build fails, or the archive
   * misses the sidecar's classes.
   */
  @Test
  void theTrainingRunIsTheSidecarsJobInFrontOfTheDemosBackends() throws Exception {
    String training = "/opt/canary-proxy/training/";
    assertThat(in(last, "COPY"))
        .contains("docker/cds-train.sh docker/cds-training.yaml " + training);
    assertThat(in(last, "RUN"))
        .anySatisfy(
            run ->
                assertThat(run)
                    .startsWith("bash " + training + "cds-train.sh java ")
                    .contains(" run --config " + training + "cds-training.yaml "));
    ProxyConfig job =
        ConfigLoader.parse(Files.readString(RepoFiles.file("docker/cds-training.yaml")));
    ProxyConfig demo = ConfigLoader.parse(Files.readString(RepoFiles.file("config/demo.yaml")));
    ProxyConfig sidecar =
        ConfigLoader.parse(Files.readString(RepoFiles.file("config/sidecar.yaml")));
    for (String backend : demo.backends().keySet()) {
      assertThat(job.backends().get(backend).endpoints())
          .as("training backend %s", backend)
          .isEqualTo(demo.backends().get(backend).endpoints());
    }
    String script = Files.readString(RepoFiles.file("docker/cds-train.sh"));
    assertThat(script)
        .contains("\nPROXY=" + job.listen().port() + "\n")
        .contains("\nADMIN=" + job.admin().listen().port() + "\n");
    assertThat(job.ioThreads()).isEqualTo(sidecar.ioThreads());
    assertThat(job.metrics()).isEqualTo(sidecar.metrics());
    assertThat(job.mirror()).isNotNull();
    assertThat(job.rollout()).isNotNull();
    assertThat(job.routing().rules()).hasSameSizeAs(sidecar.routing().rules());
    assertThat(job.routing().override()).isNotNull();
  }

  @Test
  void copiesTheJarThatTheBuildProduces() throws Exception {
    String produced = "proxy/target/" + shadedFinalName() + ".jar";
    String workdir = first(0, "WORKDIR");
    String jar =
        jsonArray(first(last, "ENTRYPOINT"))
            .get(jsonArray(first(last, "ENTRYPOINT")).indexOf("-jar") + 1);
    String buildStage = first(0, "FROM").replaceFirst("(?i).* as ", "");

    List<String> copy = Arrays.asList(first(last, "COPY").split("\\s+"));
    assertThat(copy).containsExactly("--from=" + buildStage, workdir + "/" + produced, jar);
    assertThat(in(0, "COPY")).anySatisfy(c -> assertThat(c).isEqualTo(". ."));
  }

  @Test
  void declaresTheStateDirectoryAndTmpAsVolumesAndWorksInTheStateDirectory() throws IOException {
    assertThat(jsonArray(first(last, "VOLUME"))).contains(STATE_DIR, "/tmp");
    assertThat(first(last, "WORKDIR")).isEqualTo(STATE_DIR);
  }

  @Test
  void exposesTheProxyAndAdminPorts() {
    assertThat(first(last, "EXPOSE").split("\\s+")).contains("8080", "9901");
  }

  @Test
  void dockerignoreKeepsBuildOutputOutButTheEmbeddedDemoConfigIn() throws IOException {
    List<String> ignored =
        Files.readAllLines(RepoFiles.file(".dockerignore")).stream()
            .map(String::trim)
            .filter(l -> !l.isEmpty() && !l.startsWith("#"))
            .toList();
    assertThat(ignored).contains("**/target", ".git");
    assertThat(ignored)
        .noneMatch(l -> l.equals("config") || l.startsWith("config/") || l.equals("proxy"));
  }

  private String first(int stage, String keyword) {
    List<String> found = in(stage, keyword);
    assertThat(found).as("%s in stage %d", keyword, stage).isNotEmpty();
    return found.get(0);
  }

  private List<String> in(int stage, String keyword) {
    return all.stream()
        .filter(i -> i.stage() == stage && i.keyword().equals(keyword))
        .map(Instruction::args)
        .toList();
  }

  private static List<String> jsonArray(String args) throws IOException {
    assertThat(args).as("exec (JSON array) form").startsWith("[");
    return Arrays.asList(JSON.readValue(args, String[].class));
  }

  /** {@code finalName} of the shade plugin in proxy/pom.xml. */
  private static String shadedFinalName() throws Exception {
    var pom =
        DocumentBuilderFactory.newInstance()
            .newDocumentBuilder()
            .parse(RepoFiles.file("proxy/pom.xml").toFile());
    var plugins = pom.getElementsByTagName("plugin");
    for (int i = 0; i < plugins.getLength(); i++) {
      Element plugin = (Element) plugins.item(i);
      if (plugin
          .getElementsByTagName("artifactId")
          .item(0)
          .getTextContent()
          .equals("maven-shade-plugin")) {
        return plugin.getElementsByTagName("finalName").item(0).getTextContent().trim();
      }
    }
    throw new AssertionError("proxy/pom.xml has no maven-shade-plugin");
  }

  /** Splits a Dockerfile into instructions: comments dropped, backslash continuations joined. */
  static List<Instruction> parse(Path dockerfile) throws IOException {
    List<Instruction> out = new ArrayList<>();
    Pattern head = Pattern.compile("^([A-Za-z]+)\\s+(.*)$");
    StringBuilder pending = new StringBuilder();
    int stage = -1;
    for (String raw : Files.readAllLines(dockerfile)) {
      String line = raw.strip();
      if (line.startsWith("#") || (line.isEmpty() && pending.length() == 0)) {
        continue;
      }
      boolean continued = line.endsWith("\\");
      pending.append(continued ? line.substring(0, line.length() - 1) : line).append(' ');
      if (continued) {
        continue;
      }
      Matcher m = head.matcher(pending.toString().strip().replaceAll("\\s+", " "));
      pending.setLength(0);
      assertThat(m.matches()).as("instruction: %s", raw).isTrue();
      String keyword = m.group(1).toUpperCase(Locale.ROOT);
      if (keyword.equals("FROM")) {
        stage++;
      }
      out.add(new Instruction(stage, keyword, m.group(2)));
    }
    return out;
  }
}
