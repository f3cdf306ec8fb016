// Plain C# (no UnityEngine): attention -> colour, and the threshold filter of the viewer.
using System;

namespace XaiBridge.Protocol
{
    /// <summary>The colormap ids of PROTOCOL.md (header key <c>colormap</c>).</summary>
    public enum ColormapId
    {
        Jet = 0,
        Turbo = 1,
        Viridis = 2,
        Gray = 3,
    }

    /// <summary>
    /// Maps attention in [0, 1] to 8-bit RGB, and picks the points a threshold keeps.
    /// <list type="bullet">
    /// <item><c>jet</c>: the same 7-anchor jet as <c>xai_core.attention.jet</c> (dark blue -> blue ->
    ///   cyan -> green -> yellow -> red -> dark red, truncated to bytes), so the headset shows the
    ///   colours of the robot-side overlays.</item>
    /// <item><c>turbo</c>, <c>viridis</c>: 33 knots sampled from matplotlib's 256-entry tables,
    ///   linearly interpolated (within 3/255 of the full table).</item>
    /// <item><c>gray</c>: black (0) to white (1).</item>
    /// </list>
    /// Values outside [0, 1] are clamped; NaN maps like 0.
    /// </summary>
    public static class Colormaps
    {
        /// <summary>Ids in <see cref="ColormapId"/> order, as they appear on the wire.</summary>
        public static readonly string[] Names = { "jet", "turbo", "viridis", "gray" };

        // xai_core.attention._JET
        private static readonly float[] JetAnchors =
        {
            0, 0, 128, 0, 0, 255, 0, 255, 255, 0, 255, 0, 255, 255, 0, 255, 0, 0, 128, 0, 0,
        };

        // matplotlib 'turbo' entries round(k * 255 / 32), k = 0..32, as RGB bytes.
        private static readonly byte[] TurboKnots =
        {
             48,  18,  59,  57,  42, 115,  64,  64, 162,  68,  86, 199,
             70, 107, 227,  70, 128, 246,  66, 148, 255,  55, 168, 250,
             40, 188, 235,  28, 205, 216,  24, 221, 194,  31, 233, 175,
             50, 242, 152,  78, 249, 125, 109, 254,  98, 139, 255,  75,
            164, 252,  60, 183, 247,  53, 203, 237,  52, 221, 224,  55,
            236, 209,  58, 247, 193,  58, 253, 174,  53, 254, 153,  44,
            251, 129,  34, 245, 105,  24, 236,  83,  15, 225,  65,   9,
            210,  49,   5, 193,  35,   2, 172,  23,   1, 149,  13,   1,
            122,   4,   3,
        };

        // matplotlib 'viridis' entries round(k * 255 / 32), k = 0..32, as RGB bytes.
        private static readonly byte[] ViridisKnots =
        {
             68,   1,  84,  71,  13,  96,  72,  24, 106,  72,  35, 116,
             71,  45, 123,  69,  55, 129,  66,  64, 134,  62,  73, 137,
             59,  82, 139,  55,  91, 141,  51,  99, 141,  47, 107, 142,
             44, 114, 142,  41, 122, 142,  38, 130, 142,  35, 137, 142,
             33, 145, 140,  31, 151, 139,  31, 159, 136,  33, 166, 133,
             39, 173, 129,  49, 181, 123,  61, 188, 116,  76, 194, 108,
             92, 200,  99, 110, 206,  88, 129, 211,  77, 149, 216,  64,
            170, 220,  50, 192, 223,  37, 213, 226,  26, 234, 229,  26,
            253, 231,  37,
        };

        /// <summary>Parses a wire id; false for an id this client does not know.</summary>
        public static bool TryParse(string id, out ColormapId colormap)
        {
            int index = id == null ? -1 : Array.IndexOf(Names, id.Trim().ToLowerInvariant());
            colormap = index < 0 ? ColormapId.Jet : (ColormapId)index;
            return index >= 0;
        }

        /// <summary>Parses a wire id; an unknown id falls back to <c>jet</c> (PROTOCOL.md default).</summary>
        public static ColormapId Parse(string id)
        {
            ColormapId colormap;
            TryParse(id, out colormap);
            return colormap;
        }

        /// <summary>The wire id of a colormap.</summary>
        public static string Name(ColormapId colormap)
        {
            return Names[(int)colormap];
        }

        /// <summary>The next colormap in the cycle jet -> turbo -> viridis -> gray -> jet (the panel's button).</summary>
        public static ColormapId Next(ColormapId colormap)
        {
            return (ColormapId)(((int)colormap + 1) % Names.Length);
        }

        /// <summary>One value to RGB bytes.</summary>
        public static void Map(ColormapId colormap, float value, out byte r, out byte g, out byte b)
        {
            // !(v >= 0) is also true for NaN.
            float v = !(value >= 0f) ? 0f : value > 1f ? 1f : value;
            switch (colormap)
            {
                case ColormapId.Turbo:
                    Interpolate(TurboKnots, v, out r, out g, out b);
                    return;
                case ColormapId.Viridis:
                    Interpolate(ViridisKnots, v, out r, out g, out b);
                    return;
                case ColormapId.Gray:
                    r = g = b = (byte)Math.Round(v * 255.0);
                    return;
                default:
                    Jet(v, out r, out g, out b);
                    return;
            }
        }

        /// <summary>
        /// Colours every value: <paramref name="rgb"/> receives 3 bytes per value (r0 g0 b0 r1 ...).
        /// Allocation-free, so the renderer can reuse one buffer per frame.
        /// </summary>
        public static void MapAll(ColormapId colormap, float[] values, int count, byte[] rgb)
        {
            if (values == null) throw new ArgumentNullException("values");
            if (rgb == null) throw new ArgumentNullException("rgb");
            if (count < 0 || count > values.Length || rgb.Length < 3 * count)
                throw new ArgumentException("count exceeds values, or rgb holds fewer than 3 * count bytes");
            for (int i = 0; i < count; i++)
                Map(colormap, values[i], out rgb[3 * i], out rgb[3 * i + 1], out rgb[3 * i + 2]);
        }

        /// <summary>Indices of the points whose attention is &gt;= <paramref name="threshold"/> (NaN never passes).</summary>
        public static int[] IndicesAtOrAbove(float[] attention, float threshold)
        {
            if (attention == null) throw new ArgumentNullException("attention");
            var buffer = new int[attention.Length];
            int kept = IndicesAtOrAbove(attention, attention.Length, threshold, buffer);
            var result = new int[kept];
            Array.Copy(buffer, result, kept);
            return result;
        }

        /// <summary>
        /// Allocation-free form: writes the kept indices, in ascending order, to the start of
        /// <paramref name="indices"/> (at least <paramref name="count"/> long) and returns how many.
        /// </summary>
        public static int IndicesAtOrAbove(float[] attention, int count, float threshold, int[] indices)
        {
            if (attention == null) throw new ArgumentNullException("attention");
            if (indices == null) throw new ArgumentNullException("indices");
            if (count < 0 || count > attention.Length || indices.Length < count)
                throw new ArgumentException("count exceeds attention, or indices is shorter than count");
            int kept = 0;
            for (int i = 0; i < count; i++)
                if (attention[i] >= threshold) indices[kept++] = i;
            return kept;
        }

        /// <summary>xai_core.attention.jet: float arithmetic, bytes by truncation.</summary>
        private static void Jet(float v, out byte r, out byte g, out byte b)
        {
            const int segments = 6;  // 7 anchors
            float x = v * segments;
            int i = Math.Min((int)x, segments - 1);
            float f = x - i;
            r = (byte)(JetAnchors[3 * i] * (1f - f) + JetAnchors[3 * i + 3] * f);
            g = (byte)(JetAnchors[3 * i + 1] * (1f - f) + JetAnchors[3 * i + 4] * f);
            b = (byte)(JetAnchors[3 * i + 2] * (1f - f) + JetAnchors[3 * i + 5] * f);
        }

        /// <summary>Linear interpolation between evenly spaced RGB knots, rounded to bytes.</summary>
        private static void Interpolate(byte[] knots, float v, out byte r, out byte g, out byte b)
        {
            int segments = knots.Length / 3 - 1;
            float x = v * segments;
            int i = Math.Min((int)x, segments - 1);
            float f = x - i;
            r = (byte)(knots[3 * i] + (knots[3 * i + 3] - knots[3 * i]) * f + 0.5f);
            g = (byte)(knots[3 * i + 1] + (knots[3 * i + 4] - knots[3 * i + 1]) * f + 0.5f);
            b = (byte)(knots[3 * i + 2] + (knots[3 * i + 5] - knots[3 * i + 2]) * f + 0.5f);
        }
    }
}
