using System;
using System.Collections.Generic;
using System.Linq;
using HSRNav.Runtime;
using Unity.MLAgents;
using Unity.MLAgents.Actuators;
using Unity.MLAgents.Policies;
using Unity.MLAgents.Sensors;
using UnityEditor;
using UnityEditor.Build.Reporting;
using UnityEditor.SceneManagement;
using UnityEngine;
using UnityEngine.SceneManagement;

namespace HSRNav.EditorTools
{
    /// <summary>
    /// Menu "HSRNav": project settings, the scene of README.md section 3 built in one go, and the
    /// Linux player build (also from the command line, see <see cref="BuildLinuxFromCommandLine"/>).
    /// </summary>
    public static class HSRNavEditorTools
    {
        public const string ScenePath = "Assets/HSRNav/Scenes/HSRNav.unity";
        public const string OverlayLayer = "TopDownOverlay";

        /// <summary>Gamma colour space, no anti-aliasing, run in background, the overlay layer.</summary>
        [MenuItem("HSRNav/1. Apply Project Settings")]
        public static void ApplyProjectSettings()
        {
            PlayerSettings.colorSpace = ColorSpace.Gamma;  // exact label colours (grey 128 stays 128)
            PlayerSettings.runInBackground = true;
            PlayerSettings.fullScreenMode = FullScreenMode.Windowed;
            PlayerSettings.defaultScreenWidth = 640;
            PlayerSettings.defaultScreenHeight = 480;
            PlayerSettings.resizableWindow = true;
            PlayerSettings.visibleInBackground = true;
            int levels = QualitySettings.names.Length;
            int current = QualitySettings.GetQualityLevel();
            for (int i = 0; i < levels; i++)
            {
                QualitySettings.SetQualityLevel(i, false);
                QualitySettings.antiAliasing = 0;
                QualitySettings.shadows = ShadowQuality.Disable;
            }
            QualitySettings.SetQualityLevel(current, false);
            EnsureLayer(OverlayLayer);
            AssetDatabase.SaveAssets();
            Debug.Log("HSRNav: project settings applied (Gamma colour space, no AA, layer " + OverlayLayer + ").");
        }

        /// <summary>Creates Assets/HSRNav/Scenes/HSRNav.unity with the HSR agent, its sensors and the world.</summary>
        [MenuItem("HSRNav/2. Create HSRNav Scene")]
        public static void CreateScene()
        {
            ApplyProjectSettings();
            var scene = EditorSceneManager.NewScene(NewSceneSetup.EmptyScene, NewSceneMode.Single);
            int overlay = LayerMask.NameToLayer(OverlayLayer);

            // World: layout, people, sketches, top-down map.
            var world = new GameObject("World");
            var builder = world.AddComponent<LayoutBuilder>();
            var people = world.AddComponent<PeopleSpawner>();
            var sketches = world.AddComponent<SketchPlayback>();
            var topdown = world.AddComponent<TopdownView>();
            var topdownCamera = new GameObject("TopdownCamera").AddComponent<Camera>();
            topdownCamera.orthographic = true;
            ConfigureTopdownView(topdown, topdownCamera);

            // The robot.
            var hsr = new GameObject("HSR");
            var head = new GameObject("HeadCamera").AddComponent<Camera>();
            head.transform.SetParent(hsr.transform, false);
            head.transform.localPosition = new Vector3(0f, 1.0f, 0f);
            head.transform.localRotation = Quaternion.Euler(10f, 0f, 0f);
            if (overlay >= 0) head.cullingMask &= ~(1 << overlay);

            var bp = hsr.AddComponent<BehaviorParameters>();
            bp.BehaviorName = HSRAgent.BehaviorNameExpected;
            bp.TeamId = 0;
            bp.BrainParameters.VectorObservationSize = 0;
            bp.BrainParameters.NumStackedVectorObservations = 1;
            bp.BrainParameters.ActionSpec = ActionSpec.MakeDiscrete(4);
            bp.BehaviorType = BehaviorType.Default;
            bp.UseChildSensors = true;

            hsr.AddComponent<HSRVectorSensors>();
            AddCamera(hsr, head, "semantic", 84, 84);
            AddCamera(hsr, topdownCamera, "topdown", 128, 128);
            var depth = hsr.AddComponent<DepthSensorComponent>();
            depth.sourceCamera = head;
            depth.sensorName = "depth";
            depth.width = 84;
            depth.height = 84;

            var agent = hsr.AddComponent<HSRAgent>();
            agent.layoutBuilder = builder;
            agent.peopleSpawner = people;
            agent.sketchPlayback = sketches;
            agent.topdownView = topdown;
            agent.semanticCamera = head;

            var requester = hsr.AddComponent<DecisionRequester>();
            requester.DecisionPeriod = 1;
            requester.TakeActionsBetweenDecisions = false;

            System.IO.Directory.CreateDirectory("Assets/HSRNav/Scenes");
            EditorSceneManager.SaveScene(scene, ScenePath);
            var scenes = EditorBuildSettings.scenes.Where(s => s.path != ScenePath).ToList();
            scenes.Insert(0, new EditorBuildSettingsScene(ScenePath, true));
            EditorBuildSettings.scenes = scenes.ToArray();
            Debug.Log("HSRNav: scene written to " + ScenePath + " and added to the build settings.");
        }

        private static void ConfigureTopdownView(TopdownView view, Camera camera)
        {
            view.topdownCamera = camera;
            view.overlayLayer = OverlayLayer;
            view.size = 128;
        }

        private static void AddCamera(GameObject agent, Camera camera, string name, int width, int height)
        {
            var sensor = agent.AddComponent<CameraSensorComponent>();
            sensor.Camera = camera;
            sensor.SensorName = name;
            sensor.Width = width;
            sensor.Height = height;
            sensor.Grayscale = false;
            sensor.CompressionType = SensorCompressionType.PNG;  // lossless for 8-bit label colours
        }

        [MenuItem("HSRNav/3. Build Linux Player (Build/HSRNav.x86_64)")]
        public static void BuildLinuxMenu()
        {
            Build("Build/HSRNav.x86_64");
        }

        /// <summary>
        /// Command line:
        /// <c>Unity -batchmode -nographics -projectPath unity_sim/UnityProject
        /// -executeMethod HSRNav.EditorTools.HSRNavEditorTools.BuildLinuxFromCommandLine
        /// -buildOutput /abs/path/build/HSRNav.x86_64 -logFile -</c>. Exits 0 on success, 1 on failure.
        /// </summary>
        public static void BuildLinuxFromCommandLine()
        {
            string output = "Build/HSRNav.x86_64";
            string[] args = Environment.GetCommandLineArgs();
            for (int i = 0; i < args.Length - 1; i++)
                if (args[i] == "-buildOutput") output = args[i + 1];
            if (!System.IO.File.Exists(ScenePath)) CreateScene();
            else ApplyProjectSettings();
            bool ok = Build(output);
            EditorApplication.Exit(ok ? 0 : 1);
        }

        private static bool Build(string output)
        {
            string[] scenes = EditorBuildSettings.scenes.Where(s => s.enabled).Select(s => s.path).ToArray();
            if (scenes.Length == 0) scenes = new[] { ScenePath };
            var options = new BuildPlayerOptions
            {
                scenes = scenes,
                locationPathName = output,
                target = BuildTarget.StandaloneLinux64,
                options = BuildOptions.None,
            };
            BuildReport report = BuildPipeline.BuildPlayer(options);
            bool ok = report.summary.result == BuildResult.Succeeded;
            Debug.Log("HSRNav: Linux build " + report.summary.result + " -> " + output);
            return ok;
        }

        /// <summary>Adds a user layer (8..31) named <paramref name="name"/> unless it exists.</summary>
        private static void EnsureLayer(string name)
        {
            if (LayerMask.NameToLayer(name) >= 0) return;
            var assets = AssetDatabase.LoadAllAssetsAtPath("ProjectSettings/TagManager.asset");
            if (assets == null || assets.Length == 0) return;
            var tagManager = new SerializedObject(assets[0]);
            SerializedProperty layers = tagManager.FindProperty("layers");
            for (int i = 8; i < layers.arraySize; i++)
            {
                SerializedProperty layer = layers.GetArrayElementAtIndex(i);
                if (string.IsNullOrEmpty(layer.stringValue))
                {
                    layer.stringValue = name;
                    tagManager.ApplyModifiedProperties();
                    return;
                }
            }
            Debug.LogError("HSRNav: no free user layer for " + name);
        }
    }
}
