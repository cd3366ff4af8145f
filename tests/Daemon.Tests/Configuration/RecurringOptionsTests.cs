using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Recurring.Checkpointing;
using Recurring.Core.Data.Synthetic;
using Recurring.Daemon.Configuration;

namespace Recurring.Daemon.Tests.Configuration;

public sealed class RecurringOptionsTests
{
    private static IConfiguration Configuration(params (string Key, string Value)[] values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value))).Build();

    private static ServiceProvider Services(IConfiguration configuration) =>
        new ServiceCollection().AddRecurringOptions(configuration).BuildServiceProvider();

    [Fact]
    public void EachSectionResolvesAsAPlainSingletonBoundFromItsSection()
    {
        using var services = Services(Configuration(("Training:BatchSize", "7"), ("Kafka:Topic", "views"), ("Checkpoints:EveryEvents", "99")));

        var training = services.GetRequiredService<TrainingOptions>();
        Assert.Equal(7, training.BatchSize);
        Assert.Same(services.GetRequiredService<IOptions<TrainingOptions>>().Value, training);
        Assert.Equal("views", services.GetRequiredService<KafkaOptions>().Topic);
        Assert.Equal(99, services.GetRequiredService<CheckpointOptions>().EveryEvents);
        Assert.All(RecurringOptions.Sections, section => Assert.NotNull(services.GetService(section.OptionsType)));
    }

    [Fact]
    public void TheCommandsSettingsHoldTheSameObjectsAsTheHost()
    {
        using var services = Services(Configuration());

        var settings = services.GetRequiredService<RecurringSettings>();

        Assert.Same(services.GetRequiredService<AdminOptions>(), settings.Admin);
        Assert.Same(services.GetRequiredService<SyntheticDataOptions>(), settings.Synthetic);
    }

    [Fact]
    public void AnInvalidValueFailsResolutionWithTheSameLineTheCommandsPrint()
    {
        var configuration = Configuration(("Training:BatchSize", "0"));
        using var services = Services(configuration);

        var failure = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<TrainingOptions>());

        const string line = "Training:BatchSize must be at least 1, not 0.";
        Assert.Equal(line, Assert.Single(failure.Failures));
        Assert.Equal(line, Assert.Single(RecurringSettings.Bind(configuration).Validate()));
    }

    [Fact]
    public async Task AnInvalidSectionFailsTheHostStart()
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services.AddRecurringOptions(Configuration(("Streaming:MaxBatchSize", "0")));
        using var host = builder.Build();

        var failure = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Equal("Streaming:MaxBatchSize must be at least 1, not 0.", Assert.Single(failure.Failures));
    }

    [Fact]
    public void ConfiguredSyntheticListsReplaceTheDefaultsInTheHostToo()
    {
        var values = Enumerable.Range(0, 26).Select(i => ($"Synthetic:CategoricalCardinalities:{i}", "7")).ToArray();
        using var services = Services(Configuration(values));

        Assert.Equal(Enumerable.Repeat(7, 26), services.GetRequiredService<SyntheticDataOptions>().CategoricalCardinalities);
    }
}
