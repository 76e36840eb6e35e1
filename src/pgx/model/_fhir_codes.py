"""Code systems, profiles and codes of FHIR R4 and the Genomics Reporting IG (STU3, v3.0.0).

The codes are the IG's own (``input/fsh`` of HL7/genomics-reporting at tag 3.0.0): LOINC
for the observation kinds and their components, the IG's ``tbd-codes-cs`` where LOINC has none.
Both directions (reading bundles, writing them) use these names, so they stay in step.
"""

from __future__ import annotations

IG = "http://hl7.org/fhir/uv/genomics-reporting"
PROFILE_GENOMIC_REPORT = f"{IG}/StructureDefinition/genomic-report"
PROFILE_GENOTYPE = f"{IG}/StructureDefinition/genotype"
PROFILE_HAPLOTYPE = f"{IG}/StructureDefinition/haplotype"
PROFILE_VARIANT = f"{IG}/StructureDefinition/variant"
PROFILE_THERAPEUTIC_IMPLICATION = f"{IG}/StructureDefinition/therapeutic-implication"
PROFILE_TMB = f"{IG}/StructureDefinition/tmb"
PROFILE_MSI = f"{IG}/StructureDefinition/msi"
TBD_CODES = f"{IG}/CodeSystem/tbd-codes-cs"
RULE_SYSTEM = "urn:pgx:rule"
"""Identifier system of a finding's Observation: the value is ``rule-id|rule-version``."""
RELATED_ARTIFACT = "http://hl7.org/fhir/StructureDefinition/workflow-relatedArtifact"

LOINC = "http://loinc.org"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
HGNC_SYSTEMS = frozenset({"http://www.genenames.org/geneId", "http://www.genenames.org"})
HGNC = "http://www.genenames.org/geneId"
DBSNP_SYSTEMS = frozenset(
    {"http://www.ncbi.nlm.nih.gov/projects/SNP", "http://www.ncbi.nlm.nih.gov/snp", "dbsnp"}
)
ICD10_SYSTEMS = frozenset({"http://hl7.org/fhir/sid/icd-10", "http://hl7.org/fhir/sid/icd-10-cm"})
SNOMED = "http://snomed.info/sct"
ONCOTREE_SYSTEMS = frozenset({"http://oncotree.mskcc.org", "http://oncotree.info", "oncotree"})
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
DIAGNOSTIC_SERVICE = "http://terminology.hl7.org/CodeSystem/v2-0074"

# Observation kinds (Observation.code)
GENOTYPE = "84413-4"  # Genotype display name
HAPLOTYPE = "84414-2"  # Haplotype name
VARIANT = "69548-6"  # Genetic variant assessment
GENETIC_REPORT = "51969-4"  # Genetic analysis report
TMB = "94076-7"  # Mutations/Megabase [# Ratio] in Tumor (IG profile tmb)
MSI = "81695-9"  # Microsatellite instability (IG profile msi)
THERAPEUTIC_IMPLICATION = "therapeutic-implication"  # tbd-codes-cs
# STU1/STU2 phenotype observations some EHRs still file
DRUG_METABOLISM = "53040-2"  # Genetic variation's effect on drug metabolism
DRUG_EFFICACY = "51961-1"  # Genetic variation's effect on drug efficacy

# Components
GENE_STUDIED = "48018-6"
VARIATION_CODE = "81252-9"  # Discrete genetic variant (dbSNP, ClinVar ...)
CODING_HGVS = "48004-6"
PROTEIN_HGVS = "48005-3"
GENOMIC_SOURCE_CLASS = "48002-0"
ALLELIC_STATE = "53034-5"
ALLELIC_FREQUENCY = "81258-6"
REF_ALLELE = "69547-8"
ALT_ALLELE = "69551-0"
DNA_CHANGE_TYPE = "48019-4"  # DNA change type (Sequence Ontology)
COPY_NUMBER = "82155-3"  # Genomic structural variant copy number
FUSION_DETAILS = "95123-6"  # Gene fusion transcript details ("EML4::ALK")
MEDICATION_ASSESSED = "51963-7"
EVIDENCE_LEVEL = "93044-6"
CONCLUSION_STRING = "conclusion-string"  # tbd-codes-cs

# Sequence Ontology DNA change types (the IG's DNAChangeTypeVS) pgx reads from variants
SEQUENCE_ONTOLOGY = frozenset({"http://sequenceontology.org", "http://www.sequenceontology.org"})
SO = "http://sequenceontology.org"
SO_COPY_NUMBER_VARIATION = "SO:0001019"
SO_COPY_NUMBER_GAIN = "SO:0001742"
SO_COPY_NUMBER_LOSS = "SO:0001743"
SO_GENE_FUSION = "SO:0001565"
#: Observation.interpretation (v3-ObservationInterpretation) for HLA allele carriage.
INTERPRETATION = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"

# Answers
PRESENT = "LA9633-4"
ABSENT = "LA9634-2"
GERMLINE = "LA6683-2"
SOMATIC = "LA6684-0"
HETEROZYGOUS = "LA6706-1"
HOMOZYGOUS = "LA6705-3"
HEMIZYGOUS = "LA6707-9"

#: LOINC answers of the IG's GeneticTherapeuticImplicationsVS that name a gene phenotype.
PHENOTYPE_ANSWERS = {
    "LA10315-2": "Ultrarapid Metabolizer",
    "LA25390-8": "Rapid Metabolizer",
    "LA25391-6": "Normal Metabolizer",
    "LA10317-8": "Intermediate Metabolizer",
    "LA9657-3": "Poor Metabolizer",
    "LA25392-4": "Increased Function",
    "LA25393-2": "Normal Function",
    "LA25395-7": "Decreased Function",
    "LA25394-0": "Poor Function",
}
PHENOTYPE_CODES = {term.lower(): code for code, term in PHENOTYPE_ANSWERS.items()}

#: Observation statuses whose value is a result to act on.
RESULT_STATUSES = frozenset({"final", "amended", "corrected"})
