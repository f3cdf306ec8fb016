// Draws one cloud topic (e.g. cloud/attention) as a point mesh coloured by attention.
using System;
using UnityEngine;
using UnityEngine.Rendering;
using XaiBridge.Protocol;

namespace XaiBridge.Runtime
{
    /// <summary>
    /// Turns each <see cref="CloudFrame"/> of one topic into a <see cref="Mesh"/> with
    /// <see cref="MeshTopology.Points"/>, coloured by attention, hiding points below a threshold.
    /// <para>
    /// Frames: vertices are the cloud's points in its own ROS frame (<c>frame_id</c>), converted to
    /// Unity axes with <c>C</c> = <c>(x, y, z) -> (-y, z, x)</c> (see <see cref="RosUnity"/>). This
    /// GameObject is then placed with the header pose (pose of <c>frame_id</c> in the robot's world
    /// frame, converted the same way) under <see cref="RobotAnchor.WorldFrame"/>, the calibrated
    /// ROS world frame in the headset's space. So a point lands at
    /// <c>Anchor * (C t, C R C^T) * C p = Anchor * C (R p + t)</c>: the ROS world position in Unity axes.
    /// Without a pose, the cloud is hung off the calibrated base_link with a configurable sensor
    /// mount (optical axes by default, as the HSR head camera frames are).
    /// </para>
    /// Needs a material using the <c>XaiBridge/AttentionPoints</c> shader (one is made if none is set).
    /// </summary>
    [RequireComponent(typeof(MeshFilter), typeof(MeshRenderer))]
    public sealed class PointCloudRenderer : MonoBehaviour
    {
        [Header("Source")]
        [SerializeField] private BridgeSubscriber subscriber;

        [Tooltip("Cloud topic drawn by this renderer (PROTOCOL.md: cloud/<name>)")]
        [SerializeField] private string topic = "cloud/attention";

        [SerializeField] private RobotAnchor anchor;

        [Header("Appearance")]
        [Tooltip("Points with attention below this are hidden")]
        [Range(0f, 1f)]
        [SerializeField] private float threshold = 0.2f;

        [Tooltip("Use the colormap the robot suggests in each header until the user picks one")]
        [SerializeField] private bool followSuggestedColormap = true;

        [SerializeField] private ColormapId colormap = ColormapId.Jet;

        [Tooltip("Edge length of each point's quad, metres")]
        [Range(0.001f, 0.1f)]
        [SerializeField] private float pointSize = 0.012f;

        [Header("Clouds whose header has no pose")]
        [Tooltip("Where the sensor sits on the robot, in base_link (ROS: x forward, y left, z up), metres")]
        [SerializeField] private Vector3 sensorPositionInBaseLink = new Vector3(0.0f, 0.0f, 1.0f);

        [Tooltip("Sensor yaw / pitch in base_link, degrees (ROS: yaw about z, pitch about y, down = positive)")]
        [SerializeField] private float sensorYaw = 0f;
        [SerializeField] private float sensorPitch = 0f;

        [Tooltip("The cloud's frame uses optical axes (x right, y down, z forward), as *_rgb_frame / *_optical_frame do")]
        [SerializeField] private bool opticalFrameWhenNoPose = true;

        /// <summary>Raised after a new cloud is shown (main thread).</summary>
        public event Action<CloudFrame> CloudShown;

        private static readonly int PointSizeId = Shader.PropertyToID("_PointSize");

        private Mesh _mesh;
        private MeshRenderer _meshRenderer;
        private MaterialPropertyBlock _properties;
        private CloudFrame _cloud;
        private Vector3[] _vertices = new Vector3[0];
        private Color32[] _colors = new Color32[0];
        private int[] _indices = new int[0];
        private Bounds _bounds;
        private bool _userPickedColormap;
        private string _warnedPoseFrame;

        /// <summary>Points with attention &lt; Threshold are hidden.</summary>
        public float Threshold
        {
            get { return threshold; }
            set
            {
                threshold = Mathf.Clamp01(value);
                if (_cloud != null) ApplyThreshold();
            }
        }

        /// <summary>The colormap in use; setting it overrides the robot's suggestion from then on.</summary>
        public ColormapId Colormap
        {
            get { return colormap; }
            set
            {
                _userPickedColormap = true;
                colormap = value;
                if (_cloud != null) Recolour();
            }
        }

        public string Topic { get { return topic; } }

        /// <summary>The cloud on screen, or null.</summary>
        public CloudFrame Current { get { return _cloud; } }

        /// <summary>Points currently drawn (at or above the threshold).</summary>
        public int VisibleCount { get; private set; }

        private void Awake()
        {
            _mesh = new Mesh { name = "xai_bridge " + topic };
            // 32-bit indices: a 640x480 depth cloud has 307k points, far past 16-bit's 65,535.
            _mesh.indexFormat = IndexFormat.UInt32;
            _mesh.MarkDynamic();
            GetComponent<MeshFilter>().sharedMesh = _mesh;
            _meshRenderer = GetComponent<MeshRenderer>();
            _meshRenderer.shadowCastingMode = ShadowCastingMode.Off;
            _meshRenderer.receiveShadows = false;
            if (_meshRenderer.sharedMaterial == null)
            {
                // Shader.Find works in a build only if the shader is referenced or "Always Included".
                Shader shader = Shader.Find("XaiBridge/AttentionPoints");
                if (shader != null) _meshRenderer.sharedMaterial = new Material(shader);
                else Debug.LogError("[xai_bridge] assign a material using XaiBridge/AttentionPoints to " + name);
            }
            _properties = new MaterialPropertyBlock();
            ApplyPointSize();
        }

        private void OnEnable()
        {
            if (subscriber != null) subscriber.CloudReceived += OnCloud;
            else Debug.LogWarning("[xai_bridge] " + name + ": no BridgeSubscriber set");
        }

        private void OnDisable()
        {
            if (subscriber != null) subscriber.CloudReceived -= OnCloud;
        }

        private void OnDestroy()
        {
            if (_mesh != null) Destroy(_mesh);
        }

        private void OnValidate()
        {
            if (_properties != null) ApplyPointSize();
        }

        private void OnCloud(CloudFrame cloud)
        {
            if (cloud.Topic == topic) Show(cloud);
        }

        /// <summary>Uploads a cloud to the mesh and places it. Main thread only.</summary>
        public void Show(CloudFrame cloud)
        {
            if (cloud == null) throw new ArgumentNullException("cloud");
            _cloud = cloud;
            int n = cloud.Count;
            EnsureCapacity(n);

            // ROS -> Unity axes (RosToUnity.Points, inlined to fill Vector3s directly).
            float[] p = cloud.Positions;
            Vector3 min = Vector3.positiveInfinity, max = Vector3.negativeInfinity;
            for (int i = 0; i < n; i++)
            {
                var v = new Vector3(-p[3 * i + 1], p[3 * i + 2], p[3 * i]);
                _vertices[i] = v;
                min = Vector3.Min(min, v);
                max = Vector3.Max(max, v);
            }
            _bounds = n > 0 ? new Bounds((min + max) * 0.5f, max - min) : new Bounds(Vector3.zero, Vector3.zero);
            _bounds.Expand(pointSize);  // the shader grows each point into a quad

            if (followSuggestedColormap && !_userPickedColormap)
            {
                ColormapId suggested;
                if (Colormaps.TryParse(cloud.Colormap, out suggested)) colormap = suggested;
            }
            FillColours();

            // Clear first: the index buffer must never point past a shrunken vertex buffer.
            _mesh.Clear();
            _mesh.SetVertices(_vertices, 0, n);
            _mesh.SetColors(_colors, 0, n);
            ApplyThreshold();
            Place(cloud);
            if (CloudShown != null) CloudShown(cloud);
        }

        private void EnsureCapacity(int n)
        {
            if (_vertices.Length >= n) return;
            // Grow with headroom so clouds whose size jitters don't reallocate every frame.
            int capacity = Math.Max(n, _vertices.Length + _vertices.Length / 2);
            _vertices = new Vector3[capacity];
            _colors = new Color32[capacity];
            _indices = new int[capacity];
        }

        private void FillColours()
        {
            float[] attention = _cloud.Attention;
            for (int i = 0; i < _cloud.Count; i++)
            {
                byte r, g, b;
                Colormaps.Map(colormap, attention[i], out r, out g, out b);
                _colors[i] = new Color32(r, g, b, 255);
            }
        }

        private void Recolour()
        {
            FillColours();
            _mesh.SetColors(_colors, 0, _cloud.Count);
        }

        /// <summary>Index buffer = the points at or above the threshold; vertices stay as uploaded.</summary>
        private void ApplyThreshold()
        {
            VisibleCount = Colormaps.IndicesAtOrAbove(_cloud.Attention, _cloud.Count, threshold, _indices);
            _mesh.SetIndices(_indices, 0, VisibleCount, MeshTopology.Points, 0, false);
            _mesh.bounds = _bounds;
        }

        private void ApplyPointSize()
        {
            if (_meshRenderer == null) return;
            _meshRenderer.GetPropertyBlock(_properties);
            _properties.SetFloat(PointSizeId, pointSize);
            _meshRenderer.SetPropertyBlock(_properties);
        }

        /// <summary>Parents this object to the calibrated ROS frame and applies the cloud's pose.</summary>
        private void Place(CloudFrame cloud)
        {
            if (anchor == null) return;  // unanchored: the mesh stays where the scene put it
            if (cloud.Pose != null)
            {
                if (anchor.WorldFrameId != cloud.Pose.Frame && _warnedPoseFrame != cloud.Pose.Frame)
                {
                    _warnedPoseFrame = cloud.Pose.Frame;
                    Debug.LogWarning(string.Format(
                        "[xai_bridge] {0}: cloud poses are in '{1}' but the anchor is calibrated for '{2}'",
                        topic, cloud.Pose.Frame, anchor.WorldFrameId));
                }
                transform.SetParent(anchor.WorldFrame, false);
                transform.localPosition = RosUnity.Position(cloud.Pose.T);
                transform.localRotation = RosUnity.Rotation(cloud.Pose.Q);
            }
            else
            {
                // No pose: the sensor is assumed rigidly mounted on the robot as configured.
                Quaternion mount = RosUnity.Yaw(sensorYaw)
                                   * RosUnity.Rotation(new[] { 0.0, Math.Sin(0.5 * sensorPitch * Mathf.Deg2Rad), 0.0, Math.Cos(0.5 * sensorPitch * Mathf.Deg2Rad) });
                if (opticalFrameWhenNoPose) mount *= RosUnity.Rotation(RosToUnity.OpticalToBody);
                transform.SetParent(anchor.BaseLink, false);
                transform.localPosition = RosUnity.Position(sensorPositionInBaseLink.x, sensorPositionInBaseLink.y, sensorPositionInBaseLink.z);
                transform.localRotation = mount;
            }
            transform.localScale = Vector3.one;
        }
    }
}
