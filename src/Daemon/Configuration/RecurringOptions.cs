using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Recurring.Checkpointing;
using Recurring.Core.Data.Synthetic;

namespace Recurring.Daemon.Configuration;

/// <summary>
/// Every configuration section the daemon binds, in one list. The host's options (<see cref="AddRecurringOptions"/>),
/// the commands' <see cref="RecurringSettings"/> and the known keys (<see cref="ConfigurationKeys"/>) are all derived
/// from it, so a section added here is bound, validated and accepted everywhere.
/// </summary>
public static class RecurringOptions
{
    public const string SyntheticSection = "Synthetic";

    /// <summary>Sections read by libraries with their own free-form schema: Serilog's configuration and logging levels.</summary>
    public static IReadOnlyList<string> FreeFormSections { get; } = ["Serilog", "Logging"];

    public static IReadOnlyList<OptionsSection> Sections { get; } =
    [
        new OptionsSection<ModelOptions>(new ModelOptionsValidator()),
        new OptionsSection<FeaturesOptions>(new FeaturesOptionsValidator()),
        new OptionsSection<TrainingOptions>(new TrainingOptionsValidator()),
        new OptionsSection<OfflineOptions>(new OfflineOptionsValidator()),
        new OptionsSection<SyntheticDataOptions>(new SyntheticDataOptionsValidator(), BindSynthetic),
        new OptionsSection<CheckpointOptions>(new CheckpointOptionsValidator()),
        new OptionsSection<KafkaOptions>(new KafkaOptionsValidator()),
        new OptionsSection<StreamingOptions>(new StreamingOptionsValidator()),
        new OptionsSection<AdminOptions>(new AdminOptionsValidator()),
        new OptionsSection<TorchOptions>(new TorchOptionsValidator()),
        new OptionsSection<LogOptions>(new LogOptionsValidator()),
    ];

    /// <summary>
    /// Registers each section through the options pattern, validated when the host starts, and each options object as
    /// a plain singleton (constructors take <c>KafkaOptions</c>, not <c>IOptions&lt;KafkaOptions&gt;</c>), plus
    /// <see cref="RecurringSettings"/> assembled from those same objects.
    /// </summary>
    public static IServiceCollection AddRecurringOptions(this IServiceCollection services, IConfiguration configuration)
    {
        foreach (var section in Sections) section.Register(services, configuration);
        services.AddSingleton(RecurringSettings.From);
        return services;
    }

    /// <summary>
    /// The binder appends configured list items to a non-empty default list; the generator's per-table lists are
    /// read separately so a configured list replaces the default.
    /// </summary>
    private static SyntheticDataOptions BindSynthetic(IConfigurationSection section)
    {
        var bound = section.Get<SyntheticDataOptions>() ?? new();
        var defaults = new SyntheticDataOptions();
        return bound with
        {
            CategoricalCardinalities = section.GetSection(nameof(SyntheticDataOptions.CategoricalCardinalities)).Get<int[]>() ?? defaults.CategoricalCardinalities,
            DenseMissingRates = section.GetSection(nameof(SyntheticDataOptions.DenseMissingRates)).Get<double[]>() ?? defaults.DenseMissingRates,
            CategoricalMissingRates = section.GetSection(nameof(SyntheticDataOptions.CategoricalMissingRates)).Get<double[]>() ?? defaults.CategoricalMissingRates,
        };
    }
}

/// <summary>One options type, the section it binds from, and the validator of its rules.</summary>
public abstract class OptionsSection(string name, Type optionsType)
{
    public string Name => name;
    public Type OptionsType => optionsType;

    /// <exception cref="InvalidOperationException">A value does not convert; the message names its key.</exception>
    public abstract object Bind(IConfiguration configuration);

    public abstract object Defaults();

    /// <summary>One line per problem, each naming its full key.</summary>
    public abstract IReadOnlyList<string> Problems(object options);

    public abstract void Register(IServiceCollection services, IConfiguration configuration);
}

/// <param name="bind">How to bind a section the standard binder gets wrong; null binds it the standard way.</param>
public sealed class OptionsSection<T>(SectionValidator<T> validator, Func<IConfigurationSection, T>? bind = null)
    : OptionsSection(validator.Section, typeof(T)) where T : class, new()
{
    public override object Bind(IConfiguration configuration) =>
        bind?.Invoke(configuration.GetSection(Name)) ?? configuration.GetSection(Name).Get<T>() ?? new T();

    public override object Defaults() => new T();

    public override IReadOnlyList<string> Problems(object options) => validator.Problems((T)options);

    public override void Register(IServiceCollection services, IConfiguration configuration)
    {
        var options = services.AddOptions<T>();
        if (bind is null) options.Bind(configuration.GetSection(Name));
        else services.AddSingleton<IOptionsFactory<T>>(provider => new CustomBindingFactory(() => bind(configuration.GetSection(Name)), provider));
        options.ValidateOnStart();
        services.AddSingleton<IValidateOptions<T>>(validator);
        services.AddSingleton(provider => provider.GetRequiredService<IOptions<T>>().Value);
    }

    /// <summary>Starts from the custom binding instead of <c>new T()</c> (records cannot be changed afterwards), then configures and validates as usual.</summary>
    private sealed class CustomBindingFactory(Func<T> create, IServiceProvider provider) : OptionsFactory<T>(
        provider.GetServices<IConfigureOptions<T>>(), provider.GetServices<IPostConfigureOptions<T>>(), provider.GetServices<IValidateOptions<T>>())
    {
        protected override T CreateInstance(string name) => create();
    }
}
