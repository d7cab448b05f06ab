package org.ntk4j.model;

import java.util.Locale;
import org.ntk4j.InvalidInputException;

/** One layer token of the grammar {@link Architecture#parse} reads, and the grammar's one-line summary. */
final class LayerTokens {
    /** What every token error ends with. */
    static final String GRAMMAR = "a layer is dense(width[,wStd[,bStd]]),"
            + " conv(channels,KHxKW[,same|valid|circular][,stride=S|SxT][,wStd[,bStd]]),"
            + " avgpool(KHxKW[,same|valid|circular][,stride=S|SxT]), gap, flatten,"
            + " or an activation (relu, erf, tanh, gelu, identity)";

    private LayerTokens() {
    }

    /**
     * The layer a token describes.
     *
     * @param token the token, trimmed
     * @param index its place in the sequence, for the message
     */
    static Layer parse(String token, int index) {
        String where = "layer " + index + " '" + token + "': ";
        try {
            return layer(token);
        } catch (NumberFormatException e) {
            throw new InvalidInputException(where + "'" + badNumber(e) + "' is not a number; " + GRAMMAR);
        } catch (InvalidInputException e) {
            throw new InvalidInputException(where + e.getMessage() + "; " + GRAMMAR);
        }
    }

    private static String badNumber(NumberFormatException e) {
        String m = String.valueOf(e.getMessage());
        int q = m.indexOf('"');
        return q >= 0 && m.lastIndexOf('"') > q ? m.substring(q + 1, m.lastIndexOf('"')) : m;
    }

    private static Layer layer(String token) {
        int open = token.indexOf('(');
        if (open < 0) {
            return switch (token.toLowerCase(Locale.ROOT)) {
                case "gap" -> new GlobalAvgPool();
                case "flatten" -> new Flatten();
                case "" -> throw new InvalidInputException("empty layer");
                default -> {
                    try {
                        yield new Elementwise(Activation.parse(token));
                    } catch (InvalidInputException e) {
                        throw new InvalidInputException("unknown layer");
                    }
                }
            };
        }
        if (!token.endsWith(")")) {
            throw new InvalidInputException("no closing parenthesis");
        }
        String name = token.substring(0, open).trim().toLowerCase(Locale.ROOT);
        String[] args = token.substring(open + 1, token.length() - 1).split(",", -1);
        for (int i = 0; i < args.length; i++) {
            args[i] = args[i].trim();
        }
        return switch (name) {
            case "dense" -> dense(args);
            case "conv" -> conv(args);
            case "avgpool" -> avgPool(args);
            default -> throw new InvalidInputException("unknown layer '" + name + "'");
        };
    }

    private static Dense dense(String[] args) {
        if (args.length > 3) {
            throw new InvalidInputException("dense takes width[,wStd[,bStd]]");
        }
        int width = Integer.parseInt(args[0]);
        return switch (args.length) {
            case 1 -> new Dense(width, 1.0, 0.0, true);
            case 2 -> new Dense(width, Double.parseDouble(args[1]), 0.0, false);
            default -> new Dense(width, Double.parseDouble(args[1]), Double.parseDouble(args[2]), true);
        };
    }

    private static Conv conv(String[] args) {
        if (args.length < 2) {
            throw new InvalidInputException("conv needs channels,KHxKW");
        }
        int channels = Integer.parseInt(args[0]);
        Options o = options(args, 2, true);
        int[] k = pair(args[1]);
        Window w = new Window(k[0], k[1], o.stride == null ? 1 : o.stride[0], o.stride == null ? 1 : o.stride[1],
                o.padding);
        return o.scales == 0 ? new Conv(channels, w, 1.0, 0.0, true)
                : new Conv(channels, w, o.wStd, o.bStd, o.scales == 2);
    }

    private static AvgPool avgPool(String[] args) {
        int[] k = pair(args[0]);
        Options o = options(args, 1, false);
        int[] s = o.stride == null ? k : o.stride; // the window's size, as PyTorch's AvgPool2d
        return new AvgPool(new Window(k[0], k[1], s[0], s[1], o.padding));
    }

    /** What may follow the sizes: a padding word, stride=…, and (for conv) up to two numbers σ_w, σ_b. */
    private static final class Options {
        Padding padding = Padding.VALID;
        int[] stride;
        int scales;
        double wStd;
        double bStd;
    }

    private static Options options(String[] args, int from, boolean scales) {
        Options o = new Options();
        boolean paddingSeen = false;
        for (int i = from; i < args.length; i++) {
            String a = args[i];
            String lower = a.toLowerCase(Locale.ROOT);
            if (lower.startsWith("stride=")) {
                if (o.stride != null || o.scales > 0) {
                    throw new InvalidInputException("'" + a + "' out of place");
                }
                o.stride = pair(a.substring("stride=".length()));
            } else if (!lower.isEmpty() && Character.isLetter(lower.charAt(0))) {
                if (paddingSeen || o.stride != null || o.scales > 0) {
                    throw new InvalidInputException("'" + a + "' out of place");
                }
                o.padding = Padding.parse(a);
                paddingSeen = true;
            } else if (scales && o.scales < 2) {
                if (o.scales++ == 0) {
                    o.wStd = Double.parseDouble(a);
                } else {
                    o.bStd = Double.parseDouble(a);
                }
            } else {
                throw new InvalidInputException("'" + a + "' is one argument too many");
            }
        }
        return o;
    }

    /** {@code 3x3}, {@code 3x5}, or {@code 3} for 3x3. */
    private static int[] pair(String s) {
        String[] p = s.split("x", -1);
        if (p.length > 2) {
            throw new InvalidInputException("'" + s + "' is not N or NxM");
        }
        int a = Integer.parseInt(p[0].trim());
        return new int[] {a, p.length == 2 ? Integer.parseInt(p[1].trim()) : a};
    }
}
