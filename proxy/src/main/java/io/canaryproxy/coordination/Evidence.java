package io.canaryproxy.coordination;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.canaryproxy.analysis.JudgeInput;
import io.canaryproxy.analysis.JudgeInput.Baseline;
import io.canaryproxy.analysis.JudgeInput.MirrorSample;
import io.canaryproxy.analysis.JudgeInput.VariantSample;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Base64;
import java.util.List;
import java.util.zip.DataFormatException;
import org.HdrHistogram.Histogram;

/**
 * One replica's interval as published to the fleet store, and the sum the leader judges. Histograms
 * travel in HdrHistogram's compressed encoding (base64 in JSON), counts as numbers; {@code step}
 * and {@code revision} say which rollout state the replica routed by, so that the leader never
 * mixes evidence of two steps.
 *
 * @param replica the publishing replica's id
 * @param seq the replica's interval number, counting from 1
 * @param step the step the replica routed by
 * @param at when the interval ended, ISO-8601 UTC
 * @param input the interval
 */
record Evidence(String replica, long seq, int step, String at, JudgeInput input) {
  private static final ObjectMapper JSON = new ObjectMapper();

  byte[] encode() {
    ObjectNode o = JSON.createObjectNode().put("replica", replica).put("seq", seq);
    o.put("step", step).put("at", at);
    side(o.putObject("stable"), input.stable());
    side(o.putObject("canary"), input.canary());
    MirrorSample m = input.mirror();
    if (m != null) {
      ObjectNode mo = o.putObject("mirror").put("compared", m.compared());
      mo.put("mismatches", m.mismatches());
      if (m.shadowLatencyMicros() != null) {
        mo.put("shadow", histogram(m.shadowLatencyMicros()));
      }
      if (m.baseline() != null) {
        mo.putObject("baseline")
            .put("compared", m.baseline().compared())
            .put("mismatches", m.baseline().mismatches());
      }
    }
    try {
      return JSON.writeValueAsBytes(o);
    } catch (IOException e) {
      throw new IllegalStateException("evidence is always serializable", e);
    }
  }

  static Evidence decode(byte[] bytes) throws IOException {
    JsonNode o = JSON.readTree(bytes);
    JsonNode m = o.path("mirror");
    MirrorSample mirror = null;
    if (m.isObject()) {
      JsonNode b = m.path("baseline");
      mirror =
          new MirrorSample(
              m.path("compared").asLong(),
              m.path("mismatches").asLong(),
              m.has("shadow") ? histogram(m.path("shadow").asText()) : null,
              b.isObject()
                  ? new Baseline(b.path("compared").asLong(), b.path("mismatches").asLong())
                  : null);
    }
    try {
      return new Evidence(
          o.path("replica").asText(),
          o.path("seq").asLong(),
          o.path("step").asInt(),
          o.path("at").asText(),
          new JudgeInput(side(o.path("stable")), side(o.path("canary")), mirror));
    } catch (IllegalArgumentException e) {
      throw new IOException("malformed evidence: " + e.getMessage(), e);
    }
  }

  /**
   * The sum of {@code parts}: histograms added, counts added; {@code null} mirror when none had.
   */
  static JudgeInput merge(List<JudgeInput> parts) {
    Histogram stable = new Histogram(3);
    Histogram canary = new Histogram(3);
    Histogram shadow = null;
    long sr = 0, se = 0, cr = 0, ce = 0, compared = 0, mismatches = 0, bc = 0, bm = 0;
    boolean mirrored = false, baseline = false;
    for (JudgeInput in : parts) {
      stable.add(in.stable().latencyMicros());
      canary.add(in.canary().latencyMicros());
      sr += in.stable().requests();
      se += in.stable().errors();
      cr += in.canary().requests();
      ce += in.canary().errors();
      MirrorSample m = in.mirror();
      if (m != null) {
        mirrored = true;
        compared += m.compared();
        mismatches += m.mismatches();
        if (m.shadowLatencyMicros() != null) {
          shadow = shadow == null ? new Histogram(3) : shadow;
          shadow.add(m.shadowLatencyMicros());
        }
        if (m.baseline() != null) {
          baseline = true;
          bc += m.baseline().compared();
          bm += m.baseline().mismatches();
        }
      }
    }
    MirrorSample mirror =
        mirrored
            ? new MirrorSample(compared, mismatches, shadow, baseline ? new Baseline(bc, bm) : null)
            : null;
    return new JudgeInput(
        new VariantSample(stable, sr, se), new VariantSample(canary, cr, ce), mirror);
  }

  private static void side(ObjectNode o, VariantSample s) {
    o.put("requests", s.requests()).put("errors", s.errors());
    o.put("latency", histogram(s.latencyMicros()));
  }

  private static VariantSample side(JsonNode o) throws IOException {
    return new VariantSample(
        histogram(o.path("latency").asText()),
        o.path("requests").asLong(),
        o.path("errors").asLong());
  }

  private static String histogram(Histogram h) {
    ByteBuffer buf = ByteBuffer.allocate(h.getNeededByteBufferCapacity());
    // Encoding leaves a buffer the size of the whole counts array in the histogram it encodes; h
    // may be one of the metrics window's compact interval copies, kept for minutes, so a transient
    // copy is encoded instead.
    int n = h.copy().encodeIntoCompressedByteBuffer(buf);
    return Base64.getEncoder().encodeToString(java.util.Arrays.copyOf(buf.array(), n));
  }

  private static Histogram histogram(String b64) throws IOException {
    try {
      return Histogram.decodeFromCompressedByteBuffer(
          ByteBuffer.wrap(Base64.getDecoder().decode(b64)), 0);
    } catch (DataFormatException | IllegalArgumentException e) {
      throw new IOException("malformed histogram: " + e.getMessage(), e);
    }
  }
}
