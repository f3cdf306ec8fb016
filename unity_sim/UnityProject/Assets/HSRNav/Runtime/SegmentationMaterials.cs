using System.Collections.Generic;
using HSRNav.World;
using UnityEngine;
using UnityEngine.Rendering;

namespace HSRNav.Runtime
{
    /// <summary>
    /// Unlit, flat-coloured materials in xai_sim's segmentation colours (LABEL_COLORS, exact RGB):
    /// wall (0, 255, 0) green, floor (0, 0, 255) blue, furniture (255, 0, 0) red, person
    /// (128, 128, 128) grey; and the top-down map's extra colours (outside the world (32, 32, 32),
    /// robot white, waypoints black, trajectory yellow). The colours live in the plain-C#
    /// <see cref="SemanticColors"/> table, which the mono tests compare with the Python export.
    /// <para>
    /// Exact pixel values need: Gamma colour space (Player settings), no anti-aliasing (MSAA off,
    /// no post-processing), no HDR, no fog; the shader is HSRNav/FlatColor (built-in render pipeline,
    /// no lighting). In Linear colour space grey 128 may read back as 127 or 129.
    /// </para>
    /// </summary>
    public static class SegmentationMaterials
    {
        private const string ShaderName = "HSRNav/FlatColor";
        private static readonly Dictionary<int, Material> Cache = new Dictionary<int, Material>();
        private static Shader _shader;

        public static Color32 ColorOf(SemanticClass cls)
        {
            return ToColor(SemanticColors.Of(cls));
        }

        public static Color32 ToColor(byte[] rgb)
        {
            return new Color32(rgb[0], rgb[1], rgb[2], 255);
        }

        /// <summary>The shared material of a class.</summary>
        public static Material For(SemanticClass cls)
        {
            return ForColor(SemanticColors.Of(cls));
        }

        /// <summary>A shared flat material of an arbitrary colour (top-down overlays).</summary>
        public static Material ForColor(byte[] rgb)
        {
            int key = (rgb[0] << 16) | (rgb[1] << 8) | rgb[2];
            Material material;
            if (Cache.TryGetValue(key, out material) && material != null) return material;
            if (_shader == null)
            {
                _shader = Shader.Find(ShaderName);
                if (_shader == null)
                {
                    Debug.LogError("SegmentationMaterials: shader '" + ShaderName + "' not found; it must be in " +
                                   "Assets/HSRNav/Resources/HSRNav/FlatColor.shader. Falling back to Unlit/Color.");
                    _shader = Shader.Find("Unlit/Color");
                }
            }
            material = new Material(_shader) { name = "HSRNav flat " + key.ToString("x6"), color = ToColor(rgb) };
            Cache[key] = material;
            return material;
        }

        /// <summary>Gives every renderer under <paramref name="root"/> the material of <paramref name="cls"/>.</summary>
        public static void Apply(GameObject root, SemanticClass cls)
        {
            Apply(root, For(cls));
        }

        public static void Apply(GameObject root, Material material)
        {
            foreach (var r in root.GetComponentsInChildren<Renderer>(true))
            {
                r.sharedMaterial = material;
                r.shadowCastingMode = ShadowCastingMode.Off;
                r.receiveShadows = false;
                r.lightProbeUsage = LightProbeUsage.Off;
                r.reflectionProbeUsage = ReflectionProbeUsage.Off;
            }
        }

        /// <summary>Camera settings that keep the label colours exact (no MSAA, no HDR, solid clear).</summary>
        public static void ConfigureExactCamera(Camera camera, Color32 background)
        {
            camera.allowMSAA = false;
            camera.allowHDR = false;
            camera.clearFlags = CameraClearFlags.SolidColor;
            camera.backgroundColor = background;
            camera.renderingPath = RenderingPath.Forward;
            camera.useOcclusionCulling = false;
        }
    }
}
