# syntax=docker/dockerfile:1
# canary-proxy container image.   docker build -t canary-proxy .
#
# Runs as uid 10001 on a read-only root filesystem: it writes only to the state directory
# /var/lib/canary-proxy (the rollout state file) and to /tmp (Netty's native transport library and the JVM's
# perf data). Both are volumes, so `docker run --read-only` works; in Kubernetes mount an emptyDir on each.
# See docs/operations.md.

# ---- build: the same Maven build as a checkout (the tests run in CI, not here) ----
FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /src
COPY . .
RUN --mount=type=cache,target=/root/.m2 mvn -B -DskipTests package

# ---- runtime: a JRE, the shaded jar and nothing else ----
# A 17 JRE, not 25: on the sidecar's job Temurin 25 took 9-16 MiB more RSS idle whatever its levers (a static archive
# as below, the AOT cache of JEP 483/514/515, compact object headers; README, "Sizing"). The jar runs on 25 (ImageRuntimeIT).
FROM eclipse-temurin:17-jre
RUN groupadd --system --gid 10001 canary \
 && useradd --system --uid 10001 --gid 10001 --home-dir /var/lib/canary-proxy --no-create-home \
      --shell /usr/sbin/nologin canary \
 && mkdir -p /opt/canary-proxy /etc/canary-proxy /var/lib/canary-proxy \
 && chown 10001:10001 /var/lib/canary-proxy
COPY --from=build /src/proxy/target/canary-proxy.jar /opt/canary-proxy/canary-proxy.jar
# AppCDS: a training run lists the classes that start-up and serving load, and one static archive of exactly those
# (the JDK's and the jar's) is dumped from the list; every start then maps it instead of parsing and verifying them
# again. The training job is the sidecar's (docker/cds-training.yaml: `run` with one event loop, user key, rules,
# override, a 10% mirror and a rollout) in front of the demo's backends, driven by docker/cds-train.sh (bash's
# /dev/tcp, no other tool): only what that job loads goes into the archive. Every archived class costs RSS in every
# process, loaded or not (measured: the whole archive ends up resident, because the JVM relocates it at start): the
# demo's own classes (what an archive trained with `demo` held) cost 5 MiB more. One static archive replaces the
# JDK's default archive plus a dynamic one on top (what -XX:ArchiveClassesAtExit wrote before): the JDK classes the
# proxy never loads are left out, 1 MiB less RSS idle and at 1,000 req/s (README, "Sizing").
# It runs here, in the runtime stage, because an archive is only accepted by the JVM build that wrote it and for
# the jar at the same path, size and time. If a JVM update makes it stale, the JVM warns and starts without it
# (-Xshare:auto). Measured (README, "Sizing"): start-up CPU about 1 s instead of 2 s, and no more RSS than without it.
COPY docker/cds-train.sh docker/cds-training.yaml /opt/canary-proxy/training/
RUN bash /opt/canary-proxy/training/cds-train.sh java -XX:DumpLoadedClassList=/opt/canary-proxy/training/classes.txt \
      -jar /opt/canary-proxy/canary-proxy.jar run --config /opt/canary-proxy/training/cds-training.yaml \
 && java -Xshare:dump -XX:SharedClassListFile=/opt/canary-proxy/training/classes.txt \
      -XX:SharedArchiveFile=/opt/canary-proxy/app.jsa -cp /opt/canary-proxy/canary-proxy.jar \
 && test -s /opt/canary-proxy/app.jsa \
 && rm -rf /opt/canary-proxy/training /tmp/cds-training-state.json /tmp/canary-proxy-demo-state.json /tmp/hsperfdata_root

# numeric, so that Kubernetes' runAsNonRoot can verify it without reading /etc/passwd
USER 10001:10001
# the default rollout.stateFile, ./rollout-state.json, lands in the state directory
WORKDIR /var/lib/canary-proxy
VOLUME ["/var/lib/canary-proxy", "/tmp"]
# 8080: proxy listener; 9901: admin (/healthz, /readyz, /metrics, /admin/*)
EXPOSE 8080 9901

# Exec form: the JVM is PID 1 and receives SIGTERM itself, then drains (drain.delay + drain.timeout, 25s by
# default; give `docker stop -t 30`). The heap is half the container's memory limit unless JAVA_TOOL_OPTIONS
# sets -Xmx. Netty's direct buffers are off-heap and may grow to the heap's size unless capped, so cap them
# (and metaspace and the code cache) through JAVA_TOOL_OPTIONS: every pool at its cap plus about 64 MiB the
# flags do not cap must fit the limit (the manifests in config/k8s do; ManifestsTest checks them; the
# sidecar's flags and how they were measured are in the README, "Sizing"). JAVA_TOOL_OPTIONS come before
# these options, so a flag set in both takes this value. An OutOfMemoryError ends the process so the
# orchestrator restarts it. Set CANARY_PROXY_LOG_LEVEL=DEBUG for more logging.
ENTRYPOINT ["java", "-XX:MaxRAMPercentage=50", "-XX:+ExitOnOutOfMemoryError", "-XX:SharedArchiveFile=/opt/canary-proxy/app.jsa", "-Djava.io.tmpdir=/tmp", "-jar", "/opt/canary-proxy/canary-proxy.jar"]
CMD ["run", "--config", "/etc/canary-proxy/config.yaml"]
