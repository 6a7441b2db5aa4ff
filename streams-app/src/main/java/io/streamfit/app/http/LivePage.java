package io.streamfit.app.http;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The live page ({@code GET /}): plain HTML and JavaScript for people, with uPlot (vendored from
 * npm, see {@code page/vendor/uplot/README.md}) for the charts. It reads only the read-only JSON
 * endpoints and {@code /metrics}, from the browser.
 *
 * <p>The files are a fixed list read from the classpath once, at class load: a path names one of
 * them or is not served here, so no request reaches the file system, and serving one allocates
 * nothing but the response.
 */
final class LivePage {

    /** Where the files are on the classpath. */
    private static final String ROOT = "/io/streamfit/app/http/page/";

    /**
     * Only this origin's scripts, styles and fetches; no inline script, no frames. uPlot sets
     * element styles from script, which style-src does not govern.
     */
    static final Map<String, String> HEADERS = Map.of(
            "Content-Security-Policy", "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'",
            "X-Content-Type-Options", "nosniff",
            "Cache-Control", "no-cache");

    /** One file of the page. */
    record Asset(String contentType, byte[] bytes) {
    }

    private static final Map<String, Asset> ASSETS = load();

    private LivePage() {
    }

    private static Map<String, Asset> load() {
        Map<String, Asset> assets = new LinkedHashMap<>();
        put(assets, "/", "index.html", "text/html; charset=utf-8");
        put(assets, "/page/app.js", "app.js", "text/javascript; charset=utf-8");
        put(assets, "/page/style.css", "style.css", "text/css; charset=utf-8");
        put(assets, "/page/vendor/uplot/uPlot.iife.min.js", "vendor/uplot/uPlot.iife.min.js",
                "text/javascript; charset=utf-8");
        put(assets, "/page/vendor/uplot/uPlot.min.css", "vendor/uplot/uPlot.min.css", "text/css; charset=utf-8");
        put(assets, "/page/vendor/uplot/LICENSE", "vendor/uplot/LICENSE", "text/plain; charset=utf-8");
        return Map.copyOf(assets);
    }

    private static void put(Map<String, Asset> assets, String path, String file, String contentType) {
        try (InputStream in = LivePage.class.getResourceAsStream(ROOT + file)) {
            if (in == null) {
                throw new IllegalStateException("the live page's file " + ROOT + file + " is not on the classpath");
            }
            assets.put(path, new Asset(contentType, in.readAllBytes()));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the live page's file " + ROOT + file, e);
        }
    }

    /** Whether {@code path} is one of the page's files. */
    static boolean serves(String path) {
        return ASSETS.containsKey(path);
    }

    /** The file at {@code path}; call only when {@link #serves} says so. */
    static Asset asset(String path) {
        return ASSETS.get(path);
    }
}
