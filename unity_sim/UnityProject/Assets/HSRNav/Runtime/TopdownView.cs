using System.Collections.Generic;
using HSRNav.Rules;
using HSRNav.World;
using UnityEngine;

namespace HSRNav.Runtime
{
    /// <summary>
    /// The top-down map of the <c>topdown</c> camera sensor (128 x 128), like xai_sim's render_topdown:
    /// north-up orthographic view of a square window (side = the longer side of the layout bounds)
    /// centred on the layout; floor blue, furniture red, walls green, people grey (the scene seen from
    /// above), outside the world dark grey (32, 32, 32, the clear colour); overlays on the
    /// "TopDownOverlay" layer, which the head camera does not render: the driven trajectory (yellow
    /// pixels), the sub-goals / sketch waypoints (black pixels) and the robot (a white arrow).
    /// <para>
    /// North-up: ROS +x (east) is image right, ROS +y (north) is image up. In Unity axes the camera looks
    /// down (-y) with its up vector along ROS +y = Unity -x, so its right vector is Unity +z = ROS +x.
    /// </para>
    /// <para>
    /// In goal mode the contract's top-down observation is all zeros (xai_sim without observe_topdown);
    /// <see cref="SetBlank"/> does that here (culling mask nothing, black clear colour).
    /// </para>
    /// </summary>
    public class TopdownView : MonoBehaviour
    {
        public Camera topdownCamera;

        [Tooltip("Layer of the overlays (define it in Tags and Layers and remove it from the head camera's culling mask).")]
        public string overlayLayer = "TopDownOverlay";

        [Tooltip("Observation size in pixels (the camera sensor's width and height).")]
        public int size = 128;

        [Tooltip("Height of the overlays above the floor: above the walls (2.5 m), below the camera.")]
        public float overlayHeightM = 3f;

        public float cameraHeightM = 30f;

        private readonly List<GameObject> _waypoints = new List<GameObject>();
        private readonly List<GameObject> _trail = new List<GameObject>();
        private int _trailUsed;
        private GameObject _arrow;
        private Mesh _arrowMesh;
        private double _pixelM = 0.1;
        private int _cullingMask = ~0;
        private bool _blank;
        private int _layer = -1;

        /// <summary>Metres per pixel of the current window.</summary>
        public double PixelM
        {
            get { return _pixelM; }
        }

        /// <summary>Frames the camera on <paramref name="bounds"/> [xmin, ymin, xmax, ymax] (ROS, m).</summary>
        public void Frame(double[] bounds)
        {
            double extent = System.Math.Max(bounds[2] - bounds[0], bounds[3] - bounds[1]);
            double cx = (bounds[0] + bounds[2]) / 2, cy = (bounds[1] + bounds[3]) / 2;
            _pixelM = extent / size;
            if (topdownCamera == null) return;
            topdownCamera.orthographic = true;
            topdownCamera.orthographicSize = (float)(extent / 2);
            topdownCamera.aspect = 1f;
            topdownCamera.transform.SetPositionAndRotation(
                new Vector3((float)-cy, cameraHeightM, (float)cx),
                Quaternion.LookRotation(Vector3.down, new Vector3(-1f, 0f, 0f)));
            topdownCamera.nearClipPlane = 0.1f;
            topdownCamera.farClipPlane = cameraHeightM + 1f;
            if (!_blank)
                SegmentationMaterials.ConfigureExactCamera(topdownCamera, SegmentationMaterials.ToColor(SemanticColors.TopdownOutside));
        }

        /// <summary>Blank (all-zero) map, as xai_sim's goal mode without observe_topdown; false restores it.</summary>
        public void SetBlank(bool blank)
        {
            if (topdownCamera == null || blank == _blank) return;
            _blank = blank;
            if (blank)
            {
                _cullingMask = topdownCamera.cullingMask;
                topdownCamera.cullingMask = 0;
                SegmentationMaterials.ConfigureExactCamera(topdownCamera, new Color32(0, 0, 0, 255));
            }
            else
            {
                topdownCamera.cullingMask = _cullingMask;
                SegmentationMaterials.ConfigureExactCamera(topdownCamera, SegmentationMaterials.ToColor(SemanticColors.TopdownOutside));
            }
        }

        /// <summary>Black pixel markers at <paramref name="points"/> (sub-goals or sketch waypoints).</summary>
        public void DrawWaypoints(IList<Vec2> points)
        {
            var material = SegmentationMaterials.ForColor(SemanticColors.TopdownWaypoint);
            while (_waypoints.Count < points.Count) _waypoints.Add(Marker("waypoint", material));
            for (int i = 0; i < _waypoints.Count; i++)
            {
                bool used = i < points.Count;
                _waypoints[i].SetActive(used);
                if (used) Place(_waypoints[i], points[i], overlayHeightM + 0.01f);
            }
        }

        /// <summary>Starts a new trajectory at the start pose.</summary>
        public void ResetTrajectory(Pose2 start)
        {
            _trailUsed = 0;
            foreach (var go in _trail) go.SetActive(false);
            AddTrajectoryPoint(start);
        }

        /// <summary>Adds the position after a step to the yellow trajectory and moves the arrow.</summary>
        public void AddTrajectoryPoint(Pose2 pose)
        {
            if (_trailUsed == _trail.Count)
                _trail.Add(Marker("trajectory", SegmentationMaterials.ForColor(SemanticColors.TopdownTrajectory)));
            var go = _trail[_trailUsed++];
            go.SetActive(true);
            Place(go, pose.Position, overlayHeightM);
            UpdateArrow(pose);
        }

        /// <summary>White triangle: tip max(0.45 m, 3 px) ahead, rear corners at +-2.5 rad, 0.6 of that.</summary>
        public void UpdateArrow(Pose2 pose)
        {
            if (_arrow == null)
            {
                _arrow = new GameObject("robot arrow");
                _arrow.transform.SetParent(transform, false);
                _arrow.layer = OverlayLayer();
                _arrowMesh = new Mesh { name = "robot arrow" };
                _arrow.AddComponent<MeshFilter>().sharedMesh = _arrowMesh;
                var r = _arrow.AddComponent<MeshRenderer>();
                SegmentationMaterials.Apply(_arrow, SegmentationMaterials.ForColor(SemanticColors.TopdownRobot));
                r.enabled = true;
            }
            double length = System.Math.Max(0.45, 3.0 * _pixelM);
            float y = overlayHeightM + 0.02f;
            var tip = Unity(pose.X + length * System.Math.Cos(pose.Yaw), pose.Y + length * System.Math.Sin(pose.Yaw), y);
            var left = Unity(pose.X + 0.6 * length * System.Math.Cos(pose.Yaw + 2.5), pose.Y + 0.6 * length * System.Math.Sin(pose.Yaw + 2.5), y);
            var right = Unity(pose.X + 0.6 * length * System.Math.Cos(pose.Yaw - 2.5), pose.Y + 0.6 * length * System.Math.Sin(pose.Yaw - 2.5), y);
            _arrowMesh.Clear();
            _arrowMesh.vertices = new[] { tip, left, right };
            _arrowMesh.triangles = new[] { 0, 1, 2, 0, 2, 1 };  // both windings: visible whatever the yaw
            _arrowMesh.RecalculateBounds();
        }

        private static Vector3 Unity(double x, double y, float height)
        {
            return new Vector3((float)-y, height, (float)x);
        }

        private void Place(GameObject go, Vec2 p, float height)
        {
            go.transform.position = Unity(p.X, p.Y, height);
            go.transform.localScale = new Vector3((float)_pixelM, (float)_pixelM, 1f);  // one pixel
        }

        private GameObject Marker(string name, Material material)
        {
            var go = GameObject.CreatePrimitive(PrimitiveType.Quad);
            go.name = name;
            var collider = go.GetComponent<Collider>();
            if (collider != null) Destroy(collider);
            go.transform.SetParent(transform, false);
            go.transform.rotation = Quaternion.LookRotation(Vector3.down, Vector3.forward);  // faces up
            go.layer = OverlayLayer();
            SegmentationMaterials.Apply(go, material);
            return go;
        }

        private int OverlayLayer()
        {
            if (_layer >= 0) return _layer;
            _layer = LayerMask.NameToLayer(overlayLayer);
            if (_layer < 0)
            {
                Debug.LogWarning("TopdownView: layer '" + overlayLayer + "' is not defined (Project Settings > Tags and Layers); " +
                                 "the overlays go on Default and the head camera may see them.");
                _layer = 0;
            }
            return _layer;
        }
    }
}
