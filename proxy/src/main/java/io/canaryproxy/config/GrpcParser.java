package io.canaryproxy.config;

import com.fasterxml.jackson.databind.JsonNode;
import io.canaryproxy.grpc.GrpcErrorCodes;
import io.canaryproxy.grpc.GrpcStatus;
import java.util.EnumSet;
import java.util.List;

/** Reads {@code metrics.grpc}: which gRPC status codes count as errors. */
final class GrpcParser {
  private GrpcParser() {}

  /**
   * {@code errorCodes}: a list of status names (any case) or numbers 0..16; absent gives {@link
   * GrpcErrorCodes#DEFAULT}, an empty list counts none.
   */
  static GrpcErrorCodes errorCodes(YamlMap m) {
    if (!m.has("errorCodes")) {
      return GrpcErrorCodes.DEFAULT;
    }
    List<JsonNode> items = m.list("errorCodes", "a list of gRPC status names or codes");
    EnumSet<GrpcStatus> codes = EnumSet.noneOf(GrpcStatus.class);
    for (int i = 0; i < items.size(); i++) {
      JsonNode item = items.get(i);
      GrpcStatus s =
          item.isTextual()
              ? GrpcStatus.parse(item.asText())
              : item.canConvertToInt() && item.isIntegralNumber()
                  ? GrpcStatus.ofCode(item.asInt())
                  : null;
      if (s == null) {
        m.errors()
            .add(
                m.path("errorCodes")
                    + "["
                    + i
                    + "]: "
                    + YamlMap.show(item)
                    + " (expected: a gRPC status name such as UNAVAILABLE, or a code 0..16)");
      } else {
        codes.add(s);
      }
    }
    return GrpcErrorCodes.of(codes);
  }
}
