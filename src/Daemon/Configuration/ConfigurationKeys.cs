using System.Collections;
using System.ComponentModel;
using System.Reflection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Configuration.EnvironmentVariables;

namespace Recurring.Daemon.Configuration;

/// <summary>
/// The configuration keys the options classes bind, derived from their bindable properties (nested objects, list
/// items by index, free-form maps), and the keys a configuration sets that none of them binds: a misspelt key would
/// otherwise be ignored silently and the daemon run with the default.
/// </summary>
public sealed class ConfigurationKeys
{
    /// <summary>Stands for a list index in <see cref="Known"/>: Model:BottomLayers:#.</summary>
    private const string Index = "#";

    private readonly Node _root = new();

    /// <summary>The free-form maps among <see cref="Known"/>: any key may follow them.</summary>
    private readonly IReadOnlyList<string> _freeForm;

    public ConfigurationKeys(IEnumerable<(string Section, Type OptionsType)> sections, IEnumerable<string> freeFormSections)
    {
        foreach (var (section, type) in sections) _root.Child(section).Describe(type, depth: 0);
        foreach (var section in freeFormSections) _root.Child(section).FreeForm = true;
        Known = [.. _root.Paths("")];
        _freeForm = [.. Known.Where(key => IsKnown(ConfigurationPath.Combine(key, "anything")))];
    }


    /// <summary>The daemon's keys, from <see cref="RecurringOptions.Sections"/>.</summary>
    public static ConfigurationKeys Recurring { get; } =
        new(RecurringOptions.Sections.Select(s => (s.Name, s.OptionsType)), RecurringOptions.FreeFormSections);

    /// <summary>Every key a value can be given under, "#" standing for a list index; a free-form map appears as its own key.</summary>
    public IReadOnlyList<string> Known { get; }

    public bool IsKnown(string key) => _root.Accepts(key.Split(ConfigurationPath.KeyDelimiter), 0);

    /// <summary>
    /// One line per key with a value that no options class binds, with the nearest known key when one is close.
    /// Environment variables are judged only when they carry the RECURRING_ prefix (the host's DOTNET_ settings are
    /// not ours); files, command-line overrides and in-memory sources always are.
    /// </summary>
    public IReadOnlyList<string> UnknownKeyProblems(IConfiguration configuration)
    {
        var keys = configuration is IConfigurationRoot root
            ? root.Providers.Where(IsJudged).SelectMany(provider => KeysWithValues(provider, parent: null))
            : configuration.AsEnumerable().Where(pair => pair.Value is not null).Select(pair => pair.Key);
        return [.. keys.Distinct(StringComparer.OrdinalIgnoreCase).Where(key => !IsKnown(key)).Order(StringComparer.Ordinal).Select(Describe)];
    }

    private string Describe(string unknownKey)
    {
        var segments = unknownKey.Split(ConfigurationPath.KeyDelimiter);
        var typedIndexes = new Queue<string>(segments.Where(IsIndex));
        var pattern = segments.Select(s => IsIndex(s) ? Index : s).ToArray();
        string Join(IEnumerable<string> parts) => string.Join(ConfigurationPath.KeyDelimiter, parts);
        var whole = Join(pattern);
        // A mistyped map keeps what follows it: Kafka:Propertis:sasl.password is compared as Kafka:Propertis.
        var pairs = Known.Select(known => (whole, known, known)).Concat(_freeForm
            .Select(free => (Free: free, Length: free.Split(ConfigurationPath.KeyDelimiter).Length))
            .Where(free => free.Length < pattern.Length)
            .Select(free => (Join(pattern.Take(free.Length)), free.Free, Join([free.Free, .. segments.Skip(free.Length)]))));
        if (ClosestMatch.Find(pairs) is not { } suggestion) return $"unknown key {unknownKey}.";
        var suggested = string.Join(ConfigurationPath.KeyDelimiter, suggestion.Split(ConfigurationPath.KeyDelimiter)
            .Select(s => s == Index ? (typedIndexes.TryDequeue(out var typed) ? typed : "0") : s));
        return $"unknown key {unknownKey} (did you mean {suggested}?)";
    }

    private static bool IsIndex(string segment) => segment.Length > 0 && segment.All(char.IsAsciiDigit);

    private static bool IsJudged(IConfigurationProvider provider) =>
        provider is not EnvironmentVariablesConfigurationProvider || provider is RecurringConfiguration.EnvironmentVariablesProvider;

    private static IEnumerable<string> KeysWithValues(IConfigurationProvider provider, string? parent)
    {
        foreach (var child in provider.GetChildKeys([], parent).Distinct(StringComparer.OrdinalIgnoreCase))
        {
            var key = parent is null ? child : ConfigurationPath.Combine(parent, child);
            if (provider.TryGet(key, out var value) && value is not null) yield return key;
            foreach (var deeper in KeysWithValues(provider, key)) yield return deeper;
        }
    }

    /// <summary>What may follow a key: named properties, list items, anything (a free-form map), or nothing (a value).</summary>
    private sealed class Node
    {
        private readonly Dictionary<string, Node> _children = new(StringComparer.OrdinalIgnoreCase);
        private Node? _item;

        public bool FreeForm { get; set; }

        public Node Child(string name) => _children.TryGetValue(name, out var child) ? child : _children[name] = new Node();

        /// <summary>Adds what the binder would bind into <paramref name="type"/>; several types may share a section.</summary>
        public void Describe(Type type, int depth)
        {
            type = Nullable.GetUnderlyingType(type) ?? type;
            if (IsValue(type)) return;
            if (depth > 8) throw new InvalidOperationException($"{type.Name}: options nest too deep (a cycle?).");
            if (IsMap(type))
            {
                FreeForm = true;
            }
            else if (ItemType(type) is { } item)
            {
                (_item ??= new Node()).Describe(item, depth + 1);
            }
            else
            {
                foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(IsBindable))
                    Child(property.Name).Describe(property.PropertyType, depth + 1);
            }
        }

        public bool Accepts(string[] segments, int at)
        {
            if (FreeForm || at == segments.Length) return true;
            if (_item is not null) return IsIndex(segments[at]) && _item.Accepts(segments, at + 1);
            return _children.TryGetValue(segments[at], out var child) && child.Accepts(segments, at + 1);
        }

        public IEnumerable<string> Paths(string prefix)
        {
            if (FreeForm || (_item is null && _children.Count == 0))
            {
                if (prefix.Length > 0) yield return prefix;
                yield break;
            }
            if (_item is not null)
                foreach (var path in _item.Paths(ConfigurationPath.Combine(prefix, Index))) yield return path;
            foreach (var (name, child) in _children)
                foreach (var path in child.Paths(prefix.Length == 0 ? name : ConfigurationPath.Combine(prefix, name))) yield return path;
        }

        /// <summary>The binder sets properties with a public setter, and binds into get-only objects and lists it can fill.</summary>
        private static bool IsBindable(PropertyInfo property) =>
            property.GetIndexParameters().Length == 0 && property.GetMethod is { IsPublic: true }
            && (property.SetMethod is { IsPublic: true } || !IsValue(Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType));

        /// <summary>A type the binder converts from one string, as it decides: by its TypeConverter.</summary>
        private static bool IsValue(Type type) => TypeDescriptor.GetConverter(type).CanConvertFrom(typeof(string));

        private static bool IsMap(Type type) =>
            typeof(IDictionary).IsAssignableFrom(type) || GenericInterfaces(type).Any(i =>
                i.GetGenericTypeDefinition() is var definition && (definition == typeof(IDictionary<,>) || definition == typeof(IReadOnlyDictionary<,>)));

        private static Type? ItemType(Type type) =>
            type.IsArray ? type.GetElementType()
            : GenericInterfaces(type).FirstOrDefault(i => i.GetGenericTypeDefinition() == typeof(IEnumerable<>))?.GetGenericArguments()[0];

        private static IEnumerable<Type> GenericInterfaces(Type type) =>
            (type.IsInterface ? [type, .. type.GetInterfaces()] : type.GetInterfaces()).Where(i => i.IsGenericType);
    }
}
