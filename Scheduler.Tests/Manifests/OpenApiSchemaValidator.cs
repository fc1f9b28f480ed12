using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Quorum.Tests.Manifests;

/// <summary>
/// Checks a YAML object against a CRD's structural OpenAPI v3 schema, read from the CRD itself: the
/// keywords our CRDs use (type, properties, required, enum, minimum/maximum, min/maxItems,
/// min/maxLength, pattern, list-map keys) and unknown fields, as the API server does with strict field
/// validation. CEL rules (x-kubernetes-validations) are not evaluated: they need the API server.
/// </summary>
internal static class OpenApiSchemaValidator
{
    public static List<string> Validate(YamlNode value, YamlMappingNode schema, string path = "")
    {
        var errors = new List<string>();
        Check(value, schema, path, errors);
        return errors;
    }

    private static void Check(YamlNode value, YamlMappingNode schema, string path, List<string> errors)
    {
        var type = Scalar(schema, "type");
        switch (type)
        {
            case "object":
                if (value is not YamlMappingNode map) { errors.Add($"{path}: must be an object"); return; }
                var props = Child(schema, "properties") as YamlMappingNode;
                var preserve = Scalar(schema, "x-kubernetes-preserve-unknown-fields") == "true";
                foreach (var req in Seq(schema, "required"))
                    if (!map.Children.ContainsKey(new YamlScalarNode(req))) errors.Add($"{Join(path, req)}: Required value");
                foreach (var (k, v) in map.Children)
                {
                    var key = ((YamlScalarNode)k).Value!;
                    if (props is not null && props.Children.TryGetValue(new YamlScalarNode(key), out var sub))
                        Check(v, (YamlMappingNode)sub, Join(path, key), errors);
                    else if (props is not null && !preserve)
                        errors.Add($"{Join(path, key)}: unknown field \"{key}\"");
                }
                break;
            case "array":
                if (value is not YamlSequenceNode seq) { errors.Add($"{path}: must be an array"); return; }
                if (Long(schema, "minItems") is { } minItems && seq.Children.Count < minItems) errors.Add($"{path}: must have at least {minItems} items");
                if (Long(schema, "maxItems") is { } maxItems && seq.Children.Count > maxItems) errors.Add($"{path}: must have at most {maxItems} items");
                var items = (YamlMappingNode)Child(schema, "items")!;
                for (var i = 0; i < seq.Children.Count; i++) Check(seq.Children[i], items, $"{path}[{i}]", errors);
                var keys = Seq(schema, "x-kubernetes-list-map-keys").ToList();
                if (keys.Count > 0)
                {
                    var seen = new HashSet<string>(StringComparer.Ordinal);
                    for (var i = 0; i < seq.Children.Count; i++)
                    {
                        var id = string.Join("/", keys.Select(k => (seq.Children[i] as YamlMappingNode) is { } m ? Scalar(m, k) : null));
                        if (!seen.Add(id)) errors.Add($"{path}[{i}]: Duplicate value: {id}");
                    }
                }
                break;
            case "integer":
                if (value is not YamlScalarNode { Style: ScalarStyle.Plain } n || !long.TryParse(n.Value, out var number)) { errors.Add($"{path}: must be an integer"); return; }
                if (Long(schema, "minimum") is { } min && number < min) errors.Add($"{path}: should be greater than or equal to {min}");
                if (Long(schema, "maximum") is { } max && number > max) errors.Add($"{path}: should be less than or equal to {max}");
                break;
            case "boolean":
                if (value is not YamlScalarNode { Style: ScalarStyle.Plain, Value: "true" or "false" }) errors.Add($"{path}: must be a boolean");
                break;
            case "string":
                if (value is not YamlScalarNode s) { errors.Add($"{path}: must be a string"); return; }
                var text = s.Value ?? "";
                if (Long(schema, "minLength") is { } minLen && text.Length < minLen) errors.Add($"{path}: should be at least {minLen} chars long");
                if (Long(schema, "maxLength") is { } maxLen && text.Length > maxLen) errors.Add($"{path}: may not be more than {maxLen} bytes");
                if (Scalar(schema, "pattern") is { } pattern && !Regex.IsMatch(text, pattern)) errors.Add($"{path}: should match '{pattern}'");
                var allowed = Seq(schema, "enum").ToList();
                if (allowed.Count > 0 && !allowed.Contains(text)) errors.Add($"{path}: Unsupported value: \"{text}\": supported values: {string.Join(", ", allowed.Select(a => $"\"{a}\""))}");
                break;
        }
    }

    private static string Join(string path, string key) => path.Length == 0 ? key : $"{path}.{key}";

    private static YamlNode? Child(YamlMappingNode m, string key) => m.Children.TryGetValue(new YamlScalarNode(key), out var v) ? v : null;
    private static string? Scalar(YamlMappingNode m, string key) => (Child(m, key) as YamlScalarNode)?.Value;
    private static long? Long(YamlMappingNode m, string key) => long.TryParse(Scalar(m, key), out var v) ? v : null;
    private static IEnumerable<string> Seq(YamlMappingNode m, string key) =>
        Child(m, key) is YamlSequenceNode s ? s.Children.OfType<YamlScalarNode>().Select(x => x.Value!) : [];
}
