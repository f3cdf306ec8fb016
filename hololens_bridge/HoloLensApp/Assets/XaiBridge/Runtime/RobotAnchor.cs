// Calibration: where the robot's ROS frames are in the headset's world.
//
// The headset tracks its own world (Unity world space, fixed to the room by HoloLens tracking);
// the robot publishes clouds with poses in its own world frame (map / odom). Calibration finds
// the transform between the two from one observation of a marker fixed on the robot:
//
//   Unity <- marker          the marker's pose: a QR code detected by the headset (OpenXR
//                            ARMarkerManager), or a handle the user aligns with the robot by hand
//   marker <- base_link      a fixed offset measured once on the robot (inspector fields)
//   world <- base_link       the robot's pose in its world frame at that moment (inspector, or
//                            SetRobotPoseInWorld from code; default identity: robot at the odom origin)
//
//   Unity <- world  =  (Unity <- marker) (marker <- base_link) (world <- base_link)^-1
//
// WorldFrame (a scene object) then carries "Unity <- world", and the PointCloudRenderer hangs
// each cloud under it with the cloud's header pose (world <- cloud frame).
#if XAI_MR_OPENXR_MARKERS
using Microsoft.MixedReality.OpenXR;
#endif
using System;
using UnityEngine;

namespace XaiBridge.Runtime
{
    /// <summary>
    /// Aligns the robot's ROS world frame with the headset's world. See the file header for the
    /// transform chain and HoloLensApp/README.md "Calibration" for the steps.
    /// </summary>
    public sealed class RobotAnchor : MonoBehaviour
    {
        public enum MarkerSource
        {
            /// <summary>The user drags <see cref="manualMarker"/> (e.g. with an MRTK ObjectManipulator) onto the robot's marker and confirms.</summary>
            Manual,
            /// <summary>A QR code on the robot, detected by the Mixed Reality OpenXR plugin (HoloLens 2).</summary>
            QrCode,
        }

        [SerializeField] private MarkerSource source = MarkerSource.Manual;

        [Header("Manual placement")]
        [Tooltip("A handle (with an MRTK3 ObjectManipulator + collider) the user aligns with the marker on the robot. " +
                 "Its axes: z out of the marker face towards the user, y up along the marker, x to the user's left")]
        [SerializeField] private Transform manualMarker;

        [Tooltip("Metres in front of the user where the handle appears when placement starts")]
        [SerializeField] private float handleDistance = 0.8f;

#if XAI_MR_OPENXR_MARKERS
        [Header("QR code (Mixed Reality OpenXR plugin)")]
        [Tooltip("The ARMarkerManager on the XR Origin (enable the WebCam capability)")]
        [SerializeField] private ARMarkerManager markerManager;
#endif
        // Kept serialised without the OpenXR plugin too, so settings survive adding it later.
#pragma warning disable 0414
        [Tooltip("Text encoded in the robot's QR code; other QR codes are ignored")]
        [SerializeField] private string qrPayload = "xai-hsr-base";

        [Tooltip("Keep following the QR code while it is tracked (robot moving, world frame = base_link), " +
                 "instead of calibrating once")]
        [SerializeField] private bool followQrCode = false;
#pragma warning restore 0414

        [Header("marker -> base_link (in the marker's Unity axes, metres / degrees)")]
        [Tooltip("Where base_link's origin is, seen from the marker: x marker-left, y marker-up, z out of the marker face")]
        [SerializeField] private Vector3 baseLinkPositionInMarker = new Vector3(0f, -0.75f, -0.2f);

        [Tooltip("base_link's rotation relative to the marker (Unity Euler angles, degrees). " +
                 "With 0,180,0 the robot faces the way the marker's face points into (marker on the robot's back)")]
        [SerializeField] private Vector3 baseLinkEulerInMarker = new Vector3(0f, 180f, 0f);

        [Header("Robot pose in its world frame at calibration (ROS REP-103)")]
        [Tooltip("The frame the bridge's header poses use (pose.frame), e.g. odom or map")]
        [SerializeField] private string worldFrameId = "odom";

        [Tooltip("base_link position in the world frame, metres (ROS x forward, y left, z up)")]
        [SerializeField] private Vector3 robotPositionInWorld = Vector3.zero;

        [Tooltip("base_link yaw in the world frame, degrees (counter-clockwise seen from above)")]
        [SerializeField] private float robotYawInWorld = 0f;

        /// <summary>Raised on the main thread after every (re)calibration.</summary>
        public event Action Calibrated;

        private Transform _worldFrame;
        private Transform _baseLink;
        private Quaternion _robotRotationInWorld = Quaternion.identity;  // Unity axes; set from the fields or code
        private bool _robotRotationFromCode;

        /// <summary>The robot's world frame (map / odom) in the headset's world, Unity axes.</summary>
        public Transform WorldFrame { get { EnsureFrames(); return _worldFrame; } }

        /// <summary>base_link at the moment of calibration, Unity axes.</summary>
        public Transform BaseLink { get { EnsureFrames(); return _baseLink; } }

        public string WorldFrameId { get { return worldFrameId; } }

        public bool IsCalibrated { get; private set; }

        public bool IsPlacing { get; private set; }

        public MarkerSource Source { get { return source; } set { source = value; } }

        private void Awake()
        {
            EnsureFrames();
            if (manualMarker != null) manualMarker.gameObject.SetActive(false);
        }

#if XAI_MR_OPENXR_MARKERS
        private void OnEnable()
        {
            if (markerManager != null) markerManager.markersChanged += OnMarkersChanged;
        }

        private void OnDisable()
        {
            if (markerManager != null) markerManager.markersChanged -= OnMarkersChanged;
        }

        private void OnMarkersChanged(ARMarkersChangedEventArgs args)
        {
            if (source != MarkerSource.QrCode) return;
            foreach (ARMarker marker in args.added) ConsiderMarker(marker);
            foreach (ARMarker marker in args.updated) ConsiderMarker(marker);
        }

        private void ConsiderMarker(ARMarker marker)
        {
            if (IsCalibrated && !followQrCode && !IsPlacing) return;
            if (marker.trackingState != UnityEngine.XR.ARSubsystems.TrackingState.Tracking) return;
            if (marker.GetDecodedString() != qrPayload) return;
            CalibrateFromMarker(marker.transform.position, marker.transform.rotation);
            IsPlacing = false;
        }
#endif

        /// <summary>Creates the two frame objects at the scene root (they must not move with this object).</summary>
        private void EnsureFrames()
        {
            if (_worldFrame != null) return;
            _worldFrame = new GameObject("ros " + worldFrameId + " (calibrated)").transform;
            _baseLink = new GameObject("ros base_link at calibration").transform;
        }

        /// <summary>Starts calibration: shows the manual handle in front of the user, or waits for the QR code.</summary>
        public void BeginPlacement()
        {
            IsPlacing = true;
            if (source == MarkerSource.Manual && manualMarker != null)
            {
                Transform head = Camera.main != null ? Camera.main.transform : transform;
                Vector3 forward = Vector3.ProjectOnPlane(head.forward, Vector3.up).normalized;
                if (forward.sqrMagnitude < 1e-6f) forward = Vector3.forward;
                manualMarker.position = head.position + forward * handleDistance;
                // Face the user: the marker's +z (out of its face) points back at the head.
                manualMarker.rotation = Quaternion.LookRotation(-forward, Vector3.up);
                manualMarker.gameObject.SetActive(true);
            }
        }

        /// <summary>Manual mode: takes the handle's current pose as the marker pose.</summary>
        public void ConfirmPlacement()
        {
            if (source != MarkerSource.Manual || manualMarker == null) return;
            CalibrateFromMarker(manualMarker.position, manualMarker.rotation);
            manualMarker.gameObject.SetActive(false);
            IsPlacing = false;
        }

        /// <summary>
        /// The robot's base_link pose in the world frame right now (ROS: t [x, y, z] m, q [x, y, z, w]),
        /// e.g. from a pose topic; used by the next calibration instead of the inspector fields.
        /// </summary>
        public void SetRobotPoseInWorld(double[] t, double[] q)
        {
            robotPositionInWorld = new Vector3((float)t[0], (float)t[1], (float)t[2]);
            _robotRotationInWorld = RosUnity.Rotation(q);
            _robotRotationFromCode = true;
        }

        /// <summary>Calibrates from the marker's pose in Unity world space.</summary>
        public void CalibrateFromMarker(Vector3 markerPosition, Quaternion markerRotation)
        {
            EnsureFrames();
            // Unity <- base_link = (Unity <- marker)(marker <- base_link)
            Quaternion baseRotation = markerRotation * Quaternion.Euler(baseLinkEulerInMarker);
            Vector3 basePosition = markerPosition + markerRotation * baseLinkPositionInMarker;

            // world <- base_link, converted to Unity axes.
            Quaternion robotRotation = _robotRotationFromCode ? _robotRotationInWorld : RosUnity.Yaw(robotYawInWorld);
            Vector3 robotPosition = RosUnity.Position(robotPositionInWorld.x, robotPositionInWorld.y, robotPositionInWorld.z);

            // Unity <- world = (Unity <- base_link)(world <- base_link)^-1
            Quaternion inverse = Quaternion.Inverse(robotRotation);
            Quaternion worldRotation = baseRotation * inverse;
            Vector3 worldPosition = basePosition + baseRotation * (inverse * -robotPosition);

            _baseLink.SetPositionAndRotation(basePosition, baseRotation);
            _worldFrame.SetPositionAndRotation(worldPosition, worldRotation);
            IsCalibrated = true;
            if (Calibrated != null) Calibrated();
        }

        private void OnDrawGizmos()
        {
            // Editor aid: base_link axes in Unity terms (blue = ROS x forward, red = -ROS y, green = ROS z up).
            if (_baseLink == null) return;
            DrawAxes(_baseLink, 0.3f);
            if (_worldFrame != null) DrawAxes(_worldFrame, 0.5f);
        }

        private static void DrawAxes(Transform frame, float length)
        {
            Gizmos.color = Color.red;
            Gizmos.DrawLine(frame.position, frame.position + frame.right * length);
            Gizmos.color = Color.green;
            Gizmos.DrawLine(frame.position, frame.position + frame.up * length);
            Gizmos.color = Color.blue;
            Gizmos.DrawLine(frame.position, frame.position + frame.forward * length);
        }
    }
}
