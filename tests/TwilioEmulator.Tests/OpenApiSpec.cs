using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace WarmTransfer.TwilioEmulator.Tests;

/// <summary>
/// Checks JSON response bodies against the response schemas of Twilio's official OpenAPI 3.0.1 spec
/// (twilio/twilio-oai, <c>twilio_api_v2010.json</c>). Deliberately strict: every schema property must be
/// present (Twilio always returns every field), unknown properties are rejected, enums, patterns, lengths
/// and RFC 2822 dates are checked.
/// </summary>
public sealed class OpenApiSpec
{
    private const string SchemaRefPrefix = "#/components/schemas/";

    /// <summary>
    /// Enum schemas that the spec only references with a bare <c>$ref</c> (so it cannot say
    /// <c>nullable</c>), yet which real Twilio returns as <c>null</c>. Kept as a short explicit list so
    /// everything else stays strict.
    /// conference_enum_reason_conference_ended: its description says "When a conference is in progress,
    /// will be `null`", and the spec's own example fetchValidRegionInProgress returns null.
    /// </summary>
    private static readonly HashSet<string> NullableEnumRefs = new(StringComparer.Ordinal)
    {
        "conference_enum_reason_conference_ended",
    };

    private static readonly Lazy<OpenApiSpec> LazyTwilio = new(() => Load(FindSpecFile()));

    private readonly JsonElement _root;
    private readonly JsonElement _schemas;
    private readonly List<PathTemplate> _templates;
    private readonly Dictionary<string, Regex> _patterns = new(StringComparer.Ordinal);

    private OpenApiSpec(string specPath, JsonElement root)
    {
        SpecPath = specPath;
        _root = root;
        _schemas = root.TryGetProperty("components", out var components)
            && components.TryGetProperty("schemas", out var schemas)
                ? schemas
                : default;
        _templates = root.TryGetProperty("paths", out var paths) && paths.ValueKind == JsonValueKind.Object
            ? paths.EnumerateObject().Select(p => PathTemplate.Parse(p.Name)).ToList()
            : [];
    }

    /// <summary>The Twilio API v2010 spec, loaded once on first use.</summary>
    public static OpenApiSpec Twilio => LazyTwilio.Value;

    /// <summary>Full path of the spec file this instance was loaded from.</summary>
    public string SpecPath { get; }

    /// <summary>
    /// Validates <paramref name="json"/> against the schema of the given response.
    /// Returns the problems found; empty means valid.
    /// </summary>
    public IReadOnlyList<string> Validate(string pathTemplate, string method, int statusCode, string json)
    {
        var problems = new List<string>();
        var status = statusCode.ToString(CultureInfo.InvariantCulture);
        var where = $"{method.ToUpperInvariant()} {pathTemplate} {status}";

        if (!TryGetResponseSchema(pathTemplate, method, status, out var schema))
        {
            problems.Add($"no schema for {where}");
            return problems;
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json);
        }
        catch (JsonException ex)
        {
            problems.Add($"$: invalid JSON for {where}: {ex.Message}");
            return problems;
        }

        using (document)
        {
            ValidateValue(schema, document.RootElement, "$", [], problems);
        }

        return problems;
    }

    /// <summary>Like <see cref="Validate"/>, but fails the test with every problem when there are any.</summary>
    public void AssertValid(string pathTemplate, string method, int statusCode, string json)
    {
        var problems = Validate(pathTemplate, method, statusCode, json);
        if (problems.Count > 0)
        {
            Assert.Fail(
                $"Response to {method.ToUpperInvariant()} {pathTemplate} {statusCode} does not match Twilio's OpenAPI spec:"
                + Environment.NewLine
                + string.Join(Environment.NewLine, problems));
        }
    }

    /// <summary>
    /// Maps a concrete request path (query string ignored) to the spec's path template, preferring the
    /// template with the most literal segments. Returns null when no template matches.
    /// </summary>
    public string? FindPathTemplate(string requestPath)
    {
        var path = requestPath;
        if (Uri.TryCreate(path, UriKind.Absolute, out var absolute)
            && (absolute.Scheme == Uri.UriSchemeHttp || absolute.Scheme == Uri.UriSchemeHttps))
        {
            path = absolute.AbsolutePath;
        }

        var cut = path.IndexOfAny(['?', '#']);
        if (cut >= 0)
        {
            path = path[..cut];
        }

        var segments = path.Split('/');
        PathTemplate? best = null;
        foreach (var template in _templates)
        {
            if (!template.Matches(segments))
            {
                continue;
            }

            if (best is null
                || template.LiteralSegments > best.LiteralSegments
                || (template.LiteralSegments == best.LiteralSegments && template.LiteralChars > best.LiteralChars))
            {
                best = template;
            }
        }

        return best?.Template;
    }

    private static OpenApiSpec Load(string specPath)
    {
        using var stream = File.OpenRead(specPath);
        using var document = JsonDocument.Parse(stream);
        return new OpenApiSpec(specPath, document.RootElement.Clone());
    }

    private static string FindSpecFile()
    {
        // Twilio's official OpenAPI description (twilio/twilio-oai, MIT; its licence is beside it), kept with the tests
        // so they run wherever the repository is cloned.
        var specPath = Path.Combine(RepositoryRoot.Find(), "tests", "TwilioEmulator.Tests", "Spec", "twilio_api_v2010.json");
        if (!File.Exists(specPath))
        {
            throw new FileNotFoundException($"Twilio's OpenAPI spec not found at '{specPath}'.", specPath);
        }

        return specPath;
    }

    private bool TryGetResponseSchema(string pathTemplate, string method, string status, out JsonElement schema)
    {
        schema = default;
        return _root.TryGetProperty("paths", out var paths)
            && paths.TryGetProperty(pathTemplate, out var pathItem)
            && pathItem.TryGetProperty(method.ToLowerInvariant(), out var operation)
            && operation.TryGetProperty("responses", out var responses)
            && responses.TryGetProperty(status, out var response)
            && response.TryGetProperty("content", out var content)
            && content.TryGetProperty("application/json", out var media)
            && media.TryGetProperty("schema", out schema)
            && schema.ValueKind == JsonValueKind.Object;
    }

    /// <param name="refsHere">$refs already followed for this same JSON value (cycle guard).</param>
    private void ValidateValue(JsonElement schema, JsonElement value, string path, HashSet<string> refsHere, List<string> problems)
    {
        if (schema.ValueKind != JsonValueKind.Object)
        {
            if (schema.ValueKind == JsonValueKind.False)
            {
                problems.Add($"{path}: no value is allowed here");
            }

            return;
        }

        if (schema.TryGetProperty("$ref", out var reference))
        {
            var name = RefName(reference.GetString());
            if (name is null || _schemas.ValueKind != JsonValueKind.Object || !_schemas.TryGetProperty(name, out var target))
            {
                problems.Add($"{path}: cannot resolve $ref '{reference.GetString()}'");
                return;
            }

            if (value.ValueKind == JsonValueKind.Null && NullableEnumRefs.Contains(name))
            {
                return;
            }

            if (!refsHere.Add(name))
            {
                problems.Add($"{path}: cyclic $ref '{reference.GetString()}'");
                return;
            }

            // OpenAPI 3.0: siblings of $ref are ignored.
            ValidateValue(target, value, path, refsHere, problems);
            refsHere.Remove(name);
            return;
        }

        var nullable = schema.TryGetProperty("nullable", out var nullableElement)
            && nullableElement.ValueKind == JsonValueKind.True;

        if (value.ValueKind == JsonValueKind.Null && nullable)
        {
            return;
        }

        if (schema.TryGetProperty("allOf", out var allOf) && allOf.ValueKind == JsonValueKind.Array)
        {
            foreach (var branch in allOf.EnumerateArray())
            {
                ValidateValue(branch, value, path, refsHere, problems);
            }
        }

        foreach (var keyword in (ReadOnlySpan<string>)["oneOf", "anyOf"])
        {
            if (schema.TryGetProperty(keyword, out var branches) && branches.ValueKind == JsonValueKind.Array)
            {
                ValidateAnyBranch(keyword, branches, value, path, refsHere, problems);
            }
        }

        var type = schema.TryGetProperty("type", out var typeElement) ? typeElement.GetString() : null;

        if (value.ValueKind == JsonValueKind.Null)
        {
            if (type is not null)
            {
                problems.Add($"{path}: null is not allowed (expected {type}, not nullable)");
                return;
            }
        }
        else if (type is not null && !IsOfType(value, type))
        {
            problems.Add($"{path}: expected {type} but got {Describe(value)}");
            return;
        }

        if (schema.TryGetProperty("enum", out var enumElement) && enumElement.ValueKind == JsonValueKind.Array)
        {
            CheckEnum(enumElement, value, path, problems);
        }

        switch (value.ValueKind)
        {
            case JsonValueKind.String:
                CheckString(schema, value.GetString()!, path, problems);
                break;
            case JsonValueKind.Object:
                CheckObject(schema, value, path, problems);
                break;
            case JsonValueKind.Array:
                if (schema.TryGetProperty("items", out var items))
                {
                    var index = 0;
                    foreach (var item in value.EnumerateArray())
                    {
                        ValidateValue(items, item, $"{path}[{index}]", [], problems);
                        index++;
                    }
                }

                break;
            default:
                break;
        }
    }

    private void ValidateAnyBranch(string keyword, JsonElement branches, JsonElement value, string path, HashSet<string> refsHere, List<string> problems)
    {
        var branchProblems = new List<string>();
        foreach (var branch in branches.EnumerateArray())
        {
            var attempt = new List<string>();
            ValidateValue(branch, value, path, [.. refsHere], attempt);
            if (attempt.Count == 0)
            {
                return;
            }

            branchProblems.AddRange(attempt);
        }

        problems.Add($"{path}: matches no branch of {keyword} ({string.Join("; ", branchProblems)})");
    }

    private void CheckObject(JsonElement schema, JsonElement value, string path, List<string> problems)
    {
        var hasProperties = schema.TryGetProperty("properties", out var properties)
            && properties.ValueKind == JsonValueKind.Object;

        JsonElement? additionalSchema = null;
        var additionalAllowed = !hasProperties;
        if (schema.TryGetProperty("additionalProperties", out var additional))
        {
            switch (additional.ValueKind)
            {
                case JsonValueKind.True:
                    additionalAllowed = true;
                    break;
                case JsonValueKind.False:
                    additionalAllowed = false;
                    break;
                case JsonValueKind.Object:
                    additionalAllowed = true;
                    additionalSchema = additional;
                    break;
                default:
                    break;
            }
        }

        if (hasProperties)
        {
            foreach (var property in properties.EnumerateObject())
            {
                var childPath = ChildPath(path, property.Name);
                if (value.TryGetProperty(property.Name, out var child))
                {
                    ValidateValue(property.Value, child, childPath, [], problems);
                }
                else
                {
                    problems.Add($"{childPath}: property is missing (Twilio always returns it)");
                }
            }
        }

        foreach (var member in value.EnumerateObject())
        {
            if (hasProperties && properties.TryGetProperty(member.Name, out _))
            {
                continue;
            }

            var childPath = ChildPath(path, member.Name);
            if (!additionalAllowed)
            {
                problems.Add($"{childPath}: unexpected property (not in Twilio's schema)");
            }
            else if (additionalSchema is { } extra)
            {
                ValidateValue(extra, member.Value, childPath, [], problems);
            }
        }
    }

    private void CheckString(JsonElement schema, string text, string path, List<string> problems)
    {
        // JSON Schema counts code points, not UTF-16 units.
        var length = text.EnumerateRunes().Count();
        if (schema.TryGetProperty("minLength", out var min) && min.TryGetInt32(out var minLength) && length < minLength)
        {
            problems.Add($"{path}: '{text}' is shorter than {minLength} characters");
        }

        if (schema.TryGetProperty("maxLength", out var max) && max.TryGetInt32(out var maxLength) && length > maxLength)
        {
            problems.Add($"{path}: '{text}' is longer than {maxLength} characters");
        }

        if (schema.TryGetProperty("pattern", out var patternElement) && patternElement.GetString() is { } pattern
            && !GetRegex(pattern).IsMatch(text))
        {
            problems.Add($"{path}: '{text}' does not match pattern {pattern}");
        }

        var format = schema.TryGetProperty("format", out var formatElement) ? formatElement.GetString() : null;
        switch (format)
        {
            case "date-time-rfc-2822" when !IsRfc2822(text):
                problems.Add($"{path}: '{text}' is not an RFC 2822 date like 'Tue, 31 Aug 2010 20:36:28 +0000'");
                break;
            case "date-time" when !IsIso8601(text):
                problems.Add($"{path}: '{text}' is not an ISO 8601 date-time");
                break;
            case "uri" when !Uri.TryCreate(text, UriKind.RelativeOrAbsolute, out _):
                problems.Add($"{path}: '{text}' is not a URI");
                break;
            default:
                break;
        }
    }

    private static void CheckEnum(JsonElement allowed, JsonElement value, string path, List<string> problems)
    {
        var options = allowed.EnumerateArray().ToList();
        var ok = value.ValueKind == JsonValueKind.String
            ? options.Any(o => o.ValueKind == JsonValueKind.String && o.GetString() == value.GetString())
            : options.Any(o => o.ValueKind == value.ValueKind && o.GetRawText() == value.GetRawText());
        if (!ok)
        {
            var shown = value.ValueKind == JsonValueKind.String ? $"'{value.GetString()}'" : value.GetRawText();
            var list = string.Join(", ", options.Select(o => o.ValueKind == JsonValueKind.String ? o.GetString() : o.GetRawText()));
            problems.Add($"{path}: {shown} is not one of {list}");
        }
    }

    private static bool IsOfType(JsonElement value, string type) => type switch
    {
        "object" => value.ValueKind == JsonValueKind.Object,
        "array" => value.ValueKind == JsonValueKind.Array,
        "string" => value.ValueKind == JsonValueKind.String,
        "boolean" => value.ValueKind is JsonValueKind.True or JsonValueKind.False,
        "number" => value.ValueKind == JsonValueKind.Number,
        "integer" => value.ValueKind == JsonValueKind.Number && IsInteger(value),
        _ => true,
    };

    private static bool IsInteger(JsonElement value)
    {
        if (value.TryGetInt64(out _))
        {
            return true;
        }

        // Outside long range, or written as 1.0 / 1e2: an integer if it has no fractional part.
        return value.TryGetDecimal(out var d) && decimal.Truncate(d) == d;
    }

    private static string Describe(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => $"string '{value.GetString()}'",
        JsonValueKind.Number => $"number {value.GetRawText()}",
        JsonValueKind.True or JsonValueKind.False => $"boolean {value.GetRawText()}",
        JsonValueKind.Object => "object",
        JsonValueKind.Array => "array",
        _ => value.ValueKind.ToString().ToLowerInvariant(),
    };

    private static bool IsRfc2822(string text)
    {
        // e.g. "Tue, 31 Aug 2010 20:36:28 +0000": .NET's zzz wants "+00:00", so parse the offset ourselves.
        var lastSpace = text.LastIndexOf(' ');
        if (lastSpace < 0)
        {
            return false;
        }

        var zone = text[(lastSpace + 1)..];
        if (zone.Length != 5 || (zone[0] != '+' && zone[0] != '-') || !zone[1..].All(char.IsAsciiDigit))
        {
            return false;
        }

        var hours = int.Parse(zone.AsSpan(1, 2), CultureInfo.InvariantCulture);
        var minutes = int.Parse(zone.AsSpan(3, 2), CultureInfo.InvariantCulture);
        if (hours > 14 || minutes > 59)
        {
            return false;
        }

        return DateTime.TryParseExact(
            text[..lastSpace],
            "ddd, dd MMM yyyy HH:mm:ss",
            CultureInfo.InvariantCulture,
            DateTimeStyles.None,
            out _);
    }

    private static bool IsIso8601(string text) => DateTimeOffset.TryParseExact(
        text,
        ["yyyy-MM-dd'T'HH:mm:ssK", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFK"],
        CultureInfo.InvariantCulture,
        DateTimeStyles.None,
        out _);

    private Regex GetRegex(string pattern)
    {
        lock (_patterns)
        {
            if (!_patterns.TryGetValue(pattern, out var regex))
            {
                regex = new Regex(pattern, RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
                _patterns[pattern] = regex;
            }

            return regex;
        }
    }

    private static string? RefName(string? reference) =>
        reference is not null && reference.StartsWith(SchemaRefPrefix, StringComparison.Ordinal)
            ? reference[SchemaRefPrefix.Length..]
            : null;

    private static string ChildPath(string path, string name) =>
        Regex.IsMatch(name, "^[A-Za-z_][A-Za-z0-9_]*$") ? $"{path}.{name}" : $"{path}['{name}']";

    private sealed class PathTemplate
    {
        private readonly Regex[] _segments;

        private PathTemplate(string template, Regex[] segments, int literalSegments, int literalChars)
        {
            Template = template;
            _segments = segments;
            LiteralSegments = literalSegments;
            LiteralChars = literalChars;
        }

        public string Template { get; }

        public int LiteralSegments { get; }

        public int LiteralChars { get; }

        public static PathTemplate Parse(string template)
        {
            var parts = template.Split('/');
            var regexes = new Regex[parts.Length];
            var literalSegments = 0;
            var literalChars = 0;
            for (var i = 0; i < parts.Length; i++)
            {
                // "{CallSid}.json": a parameter may share its segment with literal text.
                var pieces = Regex.Split(parts[i], @"(\{[^}/]+\})");
                var pattern = string.Concat(pieces.Select(p =>
                    p.StartsWith('{') && p.EndsWith('}') ? "[^/]+" : Regex.Escape(p)));
                regexes[i] = new Regex($"^{pattern}$", RegexOptions.CultureInvariant);
                if (!parts[i].Contains('{'))
                {
                    literalSegments++;
                }

                literalChars += pieces.Where(p => !(p.StartsWith('{') && p.EndsWith('}'))).Sum(p => p.Length);
            }

            return new PathTemplate(template, regexes, literalSegments, literalChars);
        }

        public bool Matches(string[] segments) =>
            segments.Length == _segments.Length
            && segments.Select((s, i) => _segments[i].IsMatch(s)).All(m => m);
    }
}
