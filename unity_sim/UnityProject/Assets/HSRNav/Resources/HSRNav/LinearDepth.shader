// Replacement shader of DepthSensorComponent (built-in render pipeline): writes the eye-space z
// (metres along the optical axis, xai_sim's z-depth) of the nearest surface into the red channel
// of a float render target. Rendered with Camera.RenderWithShader(shader, ""), so every opaque
// object of the scene is drawn with it. Under Resources/ so player builds include it.
Shader "HSRNav/LinearDepth"
{
    SubShader
    {
        Tags { "RenderType" = "Opaque" }
        Cull Back
        ZWrite On
        Pass
        {
            CGPROGRAM
            #pragma vertex vert
            #pragma fragment frag
            #include "UnityCG.cginc"

            struct v2f
            {
                float4 pos : SV_POSITION;
                float eyeDepth : TEXCOORD0;
            };

            v2f vert (float4 vertex : POSITION)
            {
                v2f o;
                o.pos = UnityObjectToClipPos(vertex);
                o.eyeDepth = -UnityObjectToViewPos(vertex).z;  // view space looks down -z
                return o;
            }

            float4 frag (v2f i) : SV_Target
            {
                return float4(i.eyeDepth, 0.0, 0.0, 1.0);
            }
            ENDCG
        }
    }
}
