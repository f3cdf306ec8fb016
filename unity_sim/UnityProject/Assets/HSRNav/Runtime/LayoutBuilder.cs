using System;
using System.Collections.Generic;
using System.IO;
using HSRNav.Rules;
using HSRNav.World;
using UnityEngine;

namespace HSRNav.Runtime
{
    /// <summary>
    /// Builds the scene of a layout: a floor quad (blue), a ceiling quad at wall height (green, seen from
    /// below only, so the top-down camera looks through it), and one cube per wall / furniture box with a
    /// BoxCollider and its segmentation colour. Coordinates: <see cref="LayoutData"/> is in the ROS world
    /// frame; a ROS point (x, y, z) is placed at Unity (-y, z, x) (<see cref="RosFrames"/>).
    /// <para>
    /// Named layouts ("apartment", "corridor", "office", "open_hall") are read from
    /// StreamingAssets/HSRNav/layouts.json, the export of xai_sim's make_layout
    /// (<c>python -m xai_sim.parity --unity-assets</c>): the same geometry as the simulator.
    /// "procedural" layouts come from <see cref="ProceduralLayouts"/>: same recipe as xai_sim's
    /// generate_floor_plan, different random stream, so NOT the same plan for the same seed (only the
    /// rules are guaranteed to be the same).
    /// </para>
    /// </summary>
    public class LayoutBuilder : MonoBehaviour
    {
        public const string Procedural = "procedural";

        [Tooltip("Path below StreamingAssets of the named layouts (xai_sim export).")]
        public string layoutsFile = "HSRNav/layouts.json";

        [Tooltip("Layer of walls and furniture (their colliders block the robot). Empty = Default.")]
        public string obstacleLayer = "";

        private LayoutCollection _named;
        private LayoutData _built;
        private readonly List<GameObject> _objects = new List<GameObject>();

        /// <summary>The layout currently in the scene (null before the first build).</summary>
        public LayoutData Current
        {
            get { return _built; }
        }

        /// <summary>True for "procedural", "procedural:&lt;anything&gt;", null and "".</summary>
        public static bool IsProcedural(string layout)
        {
            return string.IsNullOrEmpty(layout) || layout == Procedural || layout.StartsWith(Procedural + ":", StringComparison.Ordinal);
        }

        /// <summary>Names of the exported layouts.</summary>
        public IEnumerable<string> NamedLayouts()
        {
            LoadNamed();
            foreach (var l in _named.layouts) yield return l.name;
        }

        /// <summary>A named layout, or null when the export has none of that name.</summary>
        public LayoutData Named(string name)
        {
            LoadNamed();
            return _named.Find(name);
        }

        private void LoadNamed()
        {
            if (_named != null) return;
            string path = Path.Combine(Application.streamingAssetsPath, layoutsFile);
            try
            {
                _named = JsonUtility.FromJson<LayoutCollection>(File.ReadAllText(path));
            }
            catch (Exception e)
            {
                Debug.LogError("LayoutBuilder: cannot read the named layouts from " + path + " (" + e.Message +
                               "); write them with `python -m xai_sim.parity --unity-assets`. Only procedural layouts are available.");
                _named = new LayoutCollection();
            }
            if (_named == null || _named.layouts == null) _named = new LayoutCollection();
        }

        /// <summary>Puts <paramref name="layout"/> in the scene (nothing to do when it is already there).</summary>
        public void Build(LayoutData layout)
        {
            if (ReferenceEquals(layout, _built)) return;
            Clear();
            _built = layout;
            int layer = ObstacleLayer();
            double[] b = layout.bounds;

            // Floor: a quad facing up over the bounds.
            var floor = Quad("floor", b[0], b[1], b[2], b[3], 0.0, true);
            SegmentationMaterials.Apply(floor, SemanticClass.Floor);
            floor.AddComponent<SemanticLabel>().label = SemanticClass.Floor;

            // Ceiling at wall height, facing down: labelled wall like xai_sim's ceiling plane.
            var ceiling = Quad("ceiling", b[0], b[1], b[2], b[3], LayoutData.WallHeightM, false);
            SegmentationMaterials.Apply(ceiling, SemanticClass.Wall);
            ceiling.AddComponent<SemanticLabel>().label = SemanticClass.Wall;

            for (int i = 0; i < layout.boxes.Length; i++)
            {
                LayoutBox box = layout.boxes[i];
                var cls = (SemanticClass)box.label;
                var go = GameObject.CreatePrimitive(PrimitiveType.Cube);
                go.name = string.Format("{0} {1}", cls, i);
                go.transform.SetParent(transform, false);
                double cx = (box.xmin + box.xmax) / 2, cy = (box.ymin + box.ymax) / 2;
                go.transform.position = new Vector3((float)-cy, (float)(box.height / 2), (float)cx);
                go.transform.localScale = new Vector3((float)(box.ymax - box.ymin), (float)box.height, (float)(box.xmax - box.xmin));
                go.layer = layer;
                go.isStatic = false;
                SegmentationMaterials.Apply(go, cls);
                go.AddComponent<SemanticLabel>().label = cls;
                _objects.Add(go);
            }
            Physics.SyncTransforms();
        }

        /// <summary>Removes what the last <see cref="Build"/> created.</summary>
        public void Clear()
        {
            foreach (var go in _objects)
                if (go != null) Destroy(go);
            _objects.Clear();
            _built = null;
        }

        private GameObject Quad(string name, double x0, double y0, double x1, double y1, double height, bool faceUp)
        {
            var go = GameObject.CreatePrimitive(PrimitiveType.Quad);
            go.name = name;
            var collider = go.GetComponent<Collider>();
            if (collider != null) Destroy(collider);  // the robot never collides with floor / ceiling
            go.transform.SetParent(transform, false);
            go.transform.position = new Vector3((float)-(y0 + y1) / 2, (float)height, (float)(x0 + x1) / 2);
            // A quad's visible side faces a camera looking along its local +z.
            go.transform.rotation = faceUp
                ? Quaternion.LookRotation(Vector3.down, Vector3.forward)
                : Quaternion.LookRotation(Vector3.up, Vector3.forward);
            // Local x / y after the rotation: x stays Unity x (= ROS -y), y is Unity +-z (= ROS x).
            go.transform.localScale = new Vector3((float)(y1 - y0), (float)(x1 - x0), 1f);
            _objects.Add(go);
            return go;
        }

        private int ObstacleLayer()
        {
            if (string.IsNullOrEmpty(obstacleLayer)) return 0;
            int layer = LayerMask.NameToLayer(obstacleLayer);
            if (layer < 0)
            {
                Debug.LogWarning("LayoutBuilder: layer '" + obstacleLayer + "' is not defined (Project Settings > Tags and Layers); using Default.");
                return 0;
            }
            return layer;
        }
    }
}
