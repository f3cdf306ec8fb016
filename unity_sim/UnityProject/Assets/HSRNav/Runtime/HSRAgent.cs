using System;
using System.Collections.Generic;
using HSRNav.Rules;
using HSRNav.World;
using Unity.MLAgents;
using Unity.MLAgents.Actuators;
using Unity.MLAgents.Policies;
using Unity.MLAgents.Sensors;
using UnityEngine;

namespace HSRNav.Runtime
{
    /// <summary>
    /// The Toyota HSR as an ML-Agents agent with xai_sim's observation / action / reward contract.
    /// <para>
    /// Actions (one discrete branch of 4): 0 stop, 1 forward 0.25 m (blocked = stays, one collision),
    /// 2 left 30 deg, 3 right 30 deg. Observations, identified by sensor name (unity_sim/CONTRACT.md):
    /// semantic (camera 84 x 84 RGB, segmentation colours), topdown (camera 128 x 128 RGB, zeros in goal
    /// mode), depth (1 x 84 x 84, metres / 10), goal (4), pose_waypoint (5). Reward, sub-goal
    /// advance, success and episode end: <see cref="NavRules"/> (plain C#, checked against the Python
    /// simulator); terminal on success / sketch end (EndEpisode), interrupted at the step limit
    /// (EpisodeInterrupted). The pose is kept in the ROS world frame in double precision and the
    /// transform follows it (Unity = (-y, 0, x), euler y = -yaw, <see cref="RosFrames"/>).
    /// </para>
    /// <para>
    /// Episode configuration comes from <see cref="EpisodeConfigChannel"/> (mode, layout, seed,
    /// sketch id, applied at the next episode begin) or, without Python, from the inspector defaults.
    /// </para>
    /// </summary>
    [RequireComponent(typeof(HSRVectorSensors))]
    public class HSRAgent : Agent
    {
        public enum CollisionMode
        {
            /// <summary>Physics.CheckCapsule at the target against the obstacle layers (the scene as built).</summary>
            Physics,

            /// <summary>xai_sim's 2-D test (disk vs boxes / people / bounds) on the layout data: exact parity.</summary>
            Geometry,
        }

        public const string BehaviorNameExpected = "HSRNav";

        [Header("Scene")]
        public LayoutBuilder layoutBuilder;
        public PeopleSpawner peopleSpawner;
        public SketchPlayback sketchPlayback;
        public TopdownView topdownView;

        [Tooltip("Head camera of the \"semantic\" Camera Sensor (and of the depth sensor).")]
        public Camera semanticCamera;

        [Header("Episode defaults (the side channel overrides them)")]
        [Tooltip("\"goal\" or \"sketch\".")]
        public string defaultMode = "goal";

        [Tooltip("A named layout (apartment, corridor, office, open_hall); empty = procedural (goal mode) / the sketch's own layout (sketch mode).")]
        public string defaultLayout = "";

        [Tooltip("Seed of the first episode (>= 0); later episodes continue the random stream it seeded. -1: seed from the clock.")]
        public long defaultSeed = 0;

        [Tooltip("Sketch id (sketch mode); empty = EpisodeConfig.SketchPool decides; \"random\" = a random sketch.")]
        public string defaultSketchId = "";

        [Tooltip("Render the top-down map in goal mode too (xai_sim: observe_topdown). The contract sends zeros: leave off for training.")]
        public bool observeTopdownInGoalMode = false;

        [Header("Rules (xai_sim config.py defaults)")]
        public RewardConfig reward = new RewardConfig();
        public EpisodeConfig episode = new EpisodeConfig();
        public RobotConfig robot = new RobotConfig();

        [Header("Collisions")]
        public CollisionMode collisionMode = CollisionMode.Physics;

        [Tooltip("Layers whose colliders block the robot (walls, furniture, people). Exclude TopDownOverlay.")]
        public LayerMask obstacleLayers = ~0;

        [Header("Head camera (xai_sim CameraConfig)")]
        public float hfovDeg = 58f;
        public float vfovDeg = 45f;
        public float cameraHeightM = 1.0f;

        [Tooltip("Pitch down, degrees.")]
        public float tiltDeg = 10f;

        public const int Stop = 0, Forward = 1, Left = 2, Right = 3;

        private NavRules _rules;
        private EpisodeConfigChannel _channel;
        private HSRVectorSensors _vectors;
        private readonly float[] _goalObs = new float[HSRVectorSensors.GoalSize];
        private readonly float[] _poseObs = new float[HSRVectorSensors.PoseWaypointSize];

        private string _mode;
        private string _layout;
        private string _sketchId;
        private long _requestedSeed = EpisodeRequest.NoSeed;
        private System.Random _stream;

        private LayoutData _layoutData;
        private string _layoutLabel = "";
        private long _reportedSeed;
        private int _episodeIndex = -1;
        private Pose2 _pose;
        private bool _episodeReady;

        /// <summary>The rules of the running episode (read-only use: status, sub-goals).</summary>
        public NavRules Rules
        {
            get { return _rules; }
        }

        /// <summary>Robot pose in the ROS world frame.</summary>
        public Pose2 Pose
        {
            get { return _pose; }
        }

        public override void Initialize()
        {
            MaxStep = 0;  // the step limit is NavRules' (EpisodeInterrupted at max_steps), not ML-Agents'
            _rules = new NavRules(reward, episode);
            _vectors = GetComponent<HSRVectorSensors>();
            _mode = defaultMode;
            _layout = defaultLayout ?? "";
            _sketchId = defaultSketchId ?? "";
            _requestedSeed = defaultSeed;
            _stream = new System.Random();
            if (_channel == null) _channel = EpisodeConfigChannel.Acquire();
            ConfigureHeadCamera();
            CheckSetup();
        }

        protected override void OnDisable()
        {
            base.OnDisable();
            if (_channel != null)
            {
                EpisodeConfigChannel.Release();
                _channel = null;
            }
        }

        // ------------------------------------------------------------------ episode set-up

        public override void OnEpisodeBegin()
        {
            ApplyRequest();
            _episodeIndex++;  // 0-based index of this episode (the report's "episode")
            // CONTRACT.md: seed >= 0 re-seeds the random stream for this episode, -1 continues it. The
            // stream only hands out one seed per episode, from which the episode draws everything.
            _reportedSeed = _requestedSeed;
            if (_requestedSeed != EpisodeRequest.NoSeed) _stream = new System.Random(EpisodeRequest.FoldSeed(_requestedSeed));
            _requestedSeed = EpisodeRequest.NoSeed;
            int episodeSeed = _stream.Next();
            var rng = new System.Random(episodeSeed);

            List<Vec2> subgoals = null;
            List<double[]> people = null;
            Pose2 start = default(Pose2);
            NavMode mode = _mode == "sketch" ? NavMode.Sketch : NavMode.Goal;
            if (mode == NavMode.Sketch)
            {
                SketchData sketch = ChooseSketch(rng);
                if (sketch == null)
                {
                    Debug.LogError("HSRAgent: no sketch available (id '" + _sketchId + "'); falling back to goal mode.");
                    mode = NavMode.Goal;
                }
                else
                {
                    _layoutData = layoutBuilder.Named(sketch.layout);
                    if (_layoutData == null)
                    {
                        Debug.LogError("HSRAgent: sketch '" + sketch.id + "' needs layout '" + sketch.layout + "', which is not exported.");
                        mode = NavMode.Goal;
                    }
                    else
                    {
                        sketchPlayback.Begin(sketch);
                        subgoals = sketch.Waypoints();
                        start = sketch.StartPose;
                        people = _layoutData.PeopleXY();
                        _layoutLabel = sketch.layout;
                    }
                }
            }
            if (mode == NavMode.Goal)
            {
                sketchPlayback.Begin(null);
                bool procedural = LayoutBuilder.IsProcedural(_layout);  // "" = procedural
                LayoutData named = procedural ? null : layoutBuilder.Named(_layout);
                if (!procedural && named == null)
                {
                    Debug.LogError("HSRAgent: unknown layout '" + _layout + "'; using a procedural plan.");
                    procedural = true;
                }
                List<Vec2> path = null;
                for (int attempt = 0; attempt < 20 && path == null; attempt++)
                {
                    _layoutData = procedural ? ProceduralLayouts.Generate(rng) : named;
                    people = _layoutData.PeopleXY();
                    path = SubgoalPlanner.SampleTask(_layoutData, people, rng, episode, robot);
                }
                if (path == null)
                {
                    Debug.LogError("HSRAgent: could not sample a reachable goal in layout '" + _layout + "'.");
                    path = new List<Vec2> { new Vec2(0, 0), new Vec2(0, 0) };
                }
                start = new Pose2(path[0].X, path[0].Y, -Math.PI + rng.NextDouble() * 2.0 * Math.PI);
                subgoals = SubgoalPlanner.SubgoalsAlong(path, episode.SubgoalSpacingM);
                _layoutLabel = procedural ? LayoutBuilder.Procedural + ":" + episodeSeed : _layout;
            }

            layoutBuilder.Build(_layoutData);
            peopleSpawner.Spawn(people, rng, episode.PeopleSpeedM);
            _pose = start;
            ApplyPose();
            _rules.BeginEpisode(mode, subgoals, start);
            if (topdownView != null)
            {
                topdownView.Frame(_layoutData.bounds);
                topdownView.SetBlank(mode == NavMode.Goal && !observeTopdownInGoalMode);
                topdownView.DrawWaypoints(subgoals);
                topdownView.ResetTrajectory(start);
            }
            UnityEngine.Physics.SyncTransforms();
            _episodeReady = true;
        }

        private SketchData ChooseSketch(System.Random rng)
        {
            string id = _sketchId;
            if (string.IsNullOrEmpty(id) && episode.SketchPool == "random") id = "random";
            if (id == "random")
            {
                // A training sketch in the requested named layout, or in a random one.
                var names = new List<string>();
                if (!LayoutBuilder.IsProcedural(_layout)) names.Add(_layout);
                else names.AddRange(layoutBuilder.NamedLayouts());
                while (names.Count > 0)
                {
                    int k = rng.Next(names.Count);
                    LayoutData data = layoutBuilder.Named(names[k]);
                    names.RemoveAt(k);
                    if (data == null) continue;
                    SketchData s = SketchPlayback.RandomSketch(rng, data, data.PeopleXY());
                    if (s != null) return s;
                }
                return null;
            }
            if (string.IsNullOrEmpty(id)) return sketchPlayback.PickEvaluation(rng);
            return sketchPlayback.Find(id);
        }

        /// <summary>The last config Python sent since the previous episode (absent keys: the defaults).</summary>
        private void ApplyRequest()
        {
            EpisodeRequest request;
            if (_channel == null || !_channel.TryTakePending(out request)) return;
            _mode = request.Mode;
            _layout = request.Layout;
            _sketchId = request.SketchId;
            _requestedSeed = request.Seed;
        }

        // ------------------------------------------------------------------ observations

        public override void CollectObservations(VectorSensor sensor)
        {
            // Behavior Parameters' own vector observation has size 0: everything goes to the named sensors.
            if (_vectors == null || _vectors.Goal == null) return;
            if (_episodeReady && _rules.NumSubgoals > 0)
            {
                _rules.GoalObservation(_pose, _goalObs);
                _rules.PoseWaypointObservation(_pose, _poseObs);
            }
            else
            {
                Array.Clear(_goalObs, 0, _goalObs.Length);
                Array.Clear(_poseObs, 0, _poseObs.Length);
            }
            foreach (float v in _goalObs) _vectors.Goal.AddObservation(v);
            foreach (float v in _poseObs) _vectors.PoseWaypoint.AddObservation(v);
        }

        // ------------------------------------------------------------------ actions

        public override void OnActionReceived(ActionBuffers actions)
        {
            if (!_episodeReady || _rules.Done) return;
            int action = actions.DiscreteActions.Length > 0 ? actions.DiscreteActions[0] : Stop;
            bool collision = false;
            switch (action)
            {
                case Forward:
                    double nx = _pose.X + robot.StepLengthM * Math.Cos(_pose.Yaw);
                    double ny = _pose.Y + robot.StepLengthM * Math.Sin(_pose.Yaw);
                    if (Blocked(nx, ny)) collision = true;  // blocked: the robot stays where it was
                    else _pose = new Pose2(nx, ny, _pose.Yaw);
                    break;
                case Left:
                    _pose = new Pose2(_pose.X, _pose.Y, NavMath.WrapAngle(_pose.Yaw + robot.TurnAngleRad));
                    break;
                case Right:
                    _pose = new Pose2(_pose.X, _pose.Y, NavMath.WrapAngle(_pose.Yaw - robot.TurnAngleRad));
                    break;
            }
            ApplyPose();
            if (episode.PeopleWalking) peopleSpawner.Walk(_layoutData, _pose, robot.RadiusM);

            StepOutcome outcome = _rules.Step(_pose, collision);
            AddReward((float)outcome.Reward);
            if (topdownView != null) topdownView.AddTrajectoryPoint(_pose);
            if (!outcome.Done) return;

            // EndEpisode / EpisodeInterrupted collect the final observation (still this episode's
            // state: NavRules keeps it until BeginEpisode) and then call OnEpisodeBegin at once.
            if (_channel != null)
                _channel.SendReport(EpisodeReport.ToJson(_episodeIndex, _layoutLabel, _reportedSeed, _rules.Status()));
            if (outcome.Terminated) EndEpisode();
            else EpisodeInterrupted();
        }

        /// <summary>Would the robot disk at (x, y) (ROS world frame) hit something?</summary>
        private bool Blocked(double x, double y)
        {
            if (collisionMode == CollisionMode.Geometry)
                return _layoutData.Collides(x, y, robot.RadiusM, peopleSpawner.PeopleXY);
            // Leaving the world counts as a collision (xai_sim), then the colliders: a vertical capsule of
            // the robot radius from 0.03 m to 1.5 m (furniture is at least 0.4 m high).
            double[] b = _layoutData.bounds;
            double r = robot.RadiusM;
            if (x - r < b[0] || x + r > b[2] || y - r < b[1] || y + r > b[3]) return true;
            var bottom = new Vector3((float)-y, (float)r + 0.03f, (float)x);
            var top = new Vector3((float)-y, 1.5f, (float)x);
            return UnityEngine.Physics.CheckCapsule(bottom, top, (float)r, obstacleLayers, QueryTriggerInteraction.Ignore);
        }

        private void ApplyPose()
        {
            double ux, uz, yawDeg;
            RosFrames.PoseToUnity(_pose, out ux, out uz, out yawDeg);
            transform.SetPositionAndRotation(new Vector3((float)ux, 0f, (float)uz), Quaternion.Euler(0f, (float)yawDeg, 0f));
        }

        /// <summary>Keyboard: W / up = forward, A / left = turn left, D / right = turn right, else stop.
        /// Needs the legacy Input Manager ("Active Input Handling": Input Manager (Old) or Both).</summary>
        public override void Heuristic(in ActionBuffers actionsOut)
        {
            var discrete = actionsOut.DiscreteActions;
            discrete[0] = Stop;
#if ENABLE_LEGACY_INPUT_MANAGER
            if (Input.GetKey(KeyCode.W) || Input.GetKey(KeyCode.UpArrow)) discrete[0] = Forward;
            else if (Input.GetKey(KeyCode.A) || Input.GetKey(KeyCode.LeftArrow)) discrete[0] = Left;
            else if (Input.GetKey(KeyCode.D) || Input.GetKey(KeyCode.RightArrow)) discrete[0] = Right;
#endif
        }

        // ------------------------------------------------------------------ set-up checks

        private void ConfigureHeadCamera()
        {
            if (semanticCamera == null) return;
            // xai_sim: base position, 1.0 m high, 10 deg down, hfov 58, vfov 45 on a square 84 x 84 image
            // (non-square pixels: fx != fy). Unity's fieldOfView is vertical; the explicit aspect
            // tan(hfov/2) / tan(vfov/2) stretches the 84 x 84 target to the same intrinsics.
            semanticCamera.transform.SetParent(transform, false);
            semanticCamera.transform.localPosition = new Vector3(0f, cameraHeightM, 0f);
            semanticCamera.transform.localRotation = Quaternion.Euler(tiltDeg, 0f, 0f);
            semanticCamera.orthographic = false;
            semanticCamera.fieldOfView = vfovDeg;
            semanticCamera.aspect = Mathf.Tan(hfovDeg * 0.5f * Mathf.Deg2Rad) / Mathf.Tan(vfovDeg * 0.5f * Mathf.Deg2Rad);
            semanticCamera.nearClipPlane = 0.05f;
            semanticCamera.farClipPlane = 60f;
            int overlay = LayerMask.NameToLayer(topdownView != null ? topdownView.overlayLayer : "TopDownOverlay");
            if (overlay >= 0) semanticCamera.cullingMask &= ~(1 << overlay);
            // Rays that hit nothing: xai_sim's world is closed (walls, ceiling = wall label).
            SegmentationMaterials.ConfigureExactCamera(semanticCamera, SegmentationMaterials.ColorOf(SemanticClass.Wall));
            QualitySettings.antiAliasing = 0;
        }

        /// <summary>Logs every way the GameObject differs from the README's set-up.</summary>
        private void CheckSetup()
        {
            var bp = GetComponent<BehaviorParameters>();
            if (bp != null)
            {
                if (bp.BehaviorName != BehaviorNameExpected)
                    Debug.LogError("HSRAgent: Behavior Parameters > Behavior Name must be '" + BehaviorNameExpected + "', is '" + bp.BehaviorName + "'.");
                if (bp.BrainParameters.VectorObservationSize != 0)
                    Debug.LogError("HSRAgent: Behavior Parameters > Vector Observation > Space Size must be 0 (the vectors are HSRVectorSensors').");
                var branches = bp.BrainParameters.ActionSpec.BranchSizes;
                if (bp.BrainParameters.ActionSpec.NumContinuousActions != 0 || branches == null || branches.Length != 1 || branches[0] != 4)
                    Debug.LogError("HSRAgent: Behavior Parameters > Actions must be 0 continuous and one discrete branch of size 4.");
            }
            if (GetComponent<DecisionRequester>() == null)
                Debug.LogWarning("HSRAgent: add a Decision Requester (Decision Period 1).");
            var expected = new Dictionary<string, int[]>
            {
                { "semantic", new[] { 84, 84 } },
                { "topdown", new[] { 128, 128 } },
            };
            foreach (var cam in GetComponents<CameraSensorComponent>())
            {
                int[] size;
                if (!expected.TryGetValue(cam.SensorName, out size))
                    Debug.LogError("HSRAgent: unexpected camera sensor '" + cam.SensorName + "' (only 'semantic' and 'topdown').");
                else if (cam.Width != size[0] || cam.Height != size[1] || cam.Grayscale)
                    Debug.LogError("HSRAgent: camera sensor '" + cam.SensorName + "' must be " + size[0] + "x" + size[1] + " RGB.");
                expected.Remove(cam.SensorName);
            }
            foreach (var missing in expected.Keys)
                Debug.LogError("HSRAgent: missing Camera Sensor '" + missing + "' on this GameObject.");
            var depth = GetComponent<DepthSensorComponent>();
            if (depth == null || depth.sensorName != "depth")
                Debug.LogError("HSRAgent: add a DepthSensorComponent named 'depth' (source camera: the head camera).");
            if (layoutBuilder == null || peopleSpawner == null || sketchPlayback == null)
                Debug.LogError("HSRAgent: assign Layout Builder, People Spawner and Sketch Playback.");
        }
    }
}
