"""The assessment of counties by their city and of cities by the province (考核): indicators
(`indicators`), scoring and schemes (`scoring`), finalising (`services`), the pages
(`views`) and the XLSX export job (`jobs`). docs/metrics.md, "Assessment", defines each
indicator and its points."""
