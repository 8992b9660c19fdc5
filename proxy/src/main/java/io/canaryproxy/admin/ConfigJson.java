package io.canaryproxy.admin;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonSerializer;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.ser.std.ToStringSerializer;
import io.canaryproxy.config.Durations;
import io.canaryproxy.config.HostPort;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;

/**
 * Renders the effective configuration for {@code GET /admin/config}. Secrets never appear: the
 * config holds only the token file's path, and every URL loses its user info, query and fragment,
 * which is where credentials hide.
 */
final class ConfigJson {
  private static final ObjectMapper MAPPER = mapper();

  private ConfigJson() {}

  static byte[] render(Object config) throws IOException {
    return MAPPER.writeValueAsBytes(config);
  }

  private static ObjectMapper mapper() {
    SimpleModule module = new SimpleModule("canary-proxy-config");
    module.addSerializer(Duration.class, new DurationSerializer());
    module.addSerializer(Path.class, new ToStringSerializer(Path.class));
    module.addSerializer(HostPort.class, new ToStringSerializer(HostPort.class));
    module.addSerializer(URI.class, new RedactingUriSerializer());
    @SuppressWarnings({"rawtypes", "unchecked"})
    JsonSerializer<Enum> enums = new LowerCaseEnumSerializer();
    module.addSerializer(Enum.class, enums);
    return new ObjectMapper().registerModule(module);
  }

  /** Writes durations as in the YAML: {@code 500ms}, {@code 10s}, {@code 2m}. */
  static String duration(Duration d) {
    return Durations.format(d);
  }

  /** The URI without user info, query or fragment. */
  static String redact(URI uri) {
    if (uri.getUserInfo() == null && uri.getRawQuery() == null && uri.getRawFragment() == null) {
      return uri.toString();
    }
    try {
      String redacted =
          new URI(uri.getScheme(), null, uri.getHost(), uri.getPort(), uri.getPath(), null, null)
              .toString();
      return uri.getRawQuery() == null ? redacted : redacted + "?<redacted>";
    } catch (URISyntaxException e) {
      return "<redacted>";
    }
  }

  private static final class DurationSerializer extends JsonSerializer<Duration> {
    @Override
    public void serialize(Duration value, JsonGenerator gen, SerializerProvider provider)
        throws IOException {
      gen.writeString(duration(value));
    }
  }

  private static final class RedactingUriSerializer extends JsonSerializer<URI> {
    @Override
    public void serialize(URI value, JsonGenerator gen, SerializerProvider provider)
        throws IOException {
      gen.writeString(redact(value));
    }
  }

  @SuppressWarnings("rawtypes")
  private static final class LowerCaseEnumSerializer extends JsonSerializer<Enum> {
    @Override
    public void serialize(Enum value, JsonGenerator gen, SerializerProvider provider)
        throws IOException {
      gen.writeString(value.name().toLowerCase(Locale.ROOT));
    }
  }
}
