// Unlit flat colour for the segmentation view and the top-down map (built-in render pipeline):
// no lighting, no fog, no texture, so every pixel of a surface is exactly _Color (in Gamma colour
// space; see README "Colour space"). Lives under Resources/ so player builds include it and
// Shader.Find("HSRNav/FlatColor") works at run time.
Shader "HSRNav/FlatColor"
{
    Properties
    {
        _Color ("Color", Color) = (1, 1, 1, 1)
    }
    SubShader
    {
        Tags { "RenderType" = "Opaque" "Queue" = "Geometry" }
        Cull Back
        ZWrite On
        Lighting Off
        Fog { Mode Off }
        Pass
        {
            CGPROGRAM
            #pragma vertex vert
            #pragma fragment frag
            #include "UnityCG.cginc"

            fixed4 _Color;

            float4 vert (float4 vertex : POSITION) : SV_POSITION
            {
                return UnityObjectToClipPos(vertex);
            }

            fixed4 frag () : SV_Target
            {
                return fixed4(_Color.rgb, 1.0);
            }
            ENDCG
        }
    }
}
