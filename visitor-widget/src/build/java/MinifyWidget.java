import org.mozilla.javascript.Context;
import org.mozilla.javascript.NativeObject;
import org.mozilla.javascript.Scriptable;
import org.mozilla.javascript.ScriptableObject;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Build step of the visitor-widget module, not part of its jar: minifies the readable widget
 * source with UglifyJS (the npm package, from its WebJar) running on Rhino, both from Maven
 * Central, so the build needs neither Node nor npm. The pom runs it with Java's source launcher:
 * {@code java -cp <rhino + uglify-js jars> MinifyWidget.java UGLIFY_VERSION IN OUT}.
 *
 * <p>Output stays ES5 (UglifyJS emits what it was given); the {@code /*!} banner is kept. Any
 * parse error or UglifyJS error fails the build with exit code 1.
 */
public final class MinifyWidget {

    /** The files of uglify-js's own tools/node.js, in its order, evaluated in one scope. */
    private static final String[] UGLIFY_FILES = {
            "lib/utils.js", "lib/ast.js", "lib/transform.js", "lib/parse.js", "lib/scope.js",
            "lib/compress.js", "lib/output.js", "lib/sourcemap.js", "lib/mozilla-ast.js",
            "lib/propmangle.js", "lib/minify.js", "tools/exports.js",
    };

    /**
     * UglifyJS options. Compression and name mangling are UglifyJS's safe defaults (nothing
     * {@code unsafe}, top-level names kept); {@code ie}, {@code webkit} and {@code v8} keep the
     * work-arounds for those engines' bugs, since the widget runs in old browsers too.
     */
    private static final String OPTIONS = """
            ({
              ie: true, webkit: true, v8: true,
              warnings: false,
              output: { comments: /^!/ }
            })""";

    public static void main(String[] args) throws IOException {
        if (args.length != 3) {
            System.err.println("usage: MinifyWidget UGLIFY_VERSION IN.js OUT.js");
            System.exit(2);
        }
        String uglifyVersion = args[0];
        Path in = Path.of(args[1]);
        Path out = Path.of(args[2]);
        String source = Files.readString(in, StandardCharsets.UTF_8);

        // lib/minify.js takes atob/btoa (or Node's Buffer) for source maps, which are not made here.
        StringBuilder uglify = new StringBuilder("(function (domprops, exports) {\n"
                + "var atob = function () { throw new Error('no source maps here'); }, btoa = atob;\n");
        for (String file : UGLIFY_FILES) {
            uglify.append(webjarFile(uglifyVersion, file)).append("\n\n");
        }
        uglify.append("return exports;\n})([], {})");

        String minified;
        Context cx = Context.enter();
        try {
            cx.setLanguageVersion(Context.VERSION_ES6);
            cx.setInterpretedMode(false);
            ScriptableObject scope = cx.initStandardObjects();
            Scriptable api = (Scriptable) cx.evaluateString(scope, uglify.toString(), "uglify-js", 1, null);
            ScriptableObject.putProperty(scope, "UglifyJS", api);
            ScriptableObject.putProperty(scope, "input", source);
            Object result = cx.evaluateString(scope,
                    "UglifyJS.minify(input, " + OPTIONS + ")", "minify", 1, null);
            Object error = ((NativeObject) result).get("error");
            if (error != null && !Context.getUndefinedValue().equals(error)) {
                Scriptable e = (Scriptable) error;
                System.err.printf("%s:%s:%s: %s%n", in, ScriptableObject.getProperty(e, "line"),
                        ScriptableObject.getProperty(e, "col"), ScriptableObject.getProperty(e, "message"));
                System.exit(1);
            }
            minified = Context.toString(((NativeObject) result).get("code"));
        } finally {
            Context.exit();
        }

        Files.createDirectories(out.toAbsolutePath().getParent());
        Files.writeString(out, minified + "\n", StandardCharsets.UTF_8);
        System.out.printf("minified %s (%,d bytes) to %s (%,d bytes) with uglify-js %s%n",
                in.getFileName(), Files.size(in), out, Files.size(out), uglifyVersion);
    }

    private static String webjarFile(String version, String file) throws IOException {
        String name = "META-INF/resources/webjars/uglify-js/" + version + "/" + file;
        try (InputStream stream = MinifyWidget.class.getClassLoader().getResourceAsStream(name)) {
            if (stream == null) throw new IOException("not on the classpath: " + name);
            return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
