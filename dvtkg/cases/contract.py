# ruff: noqa: E501
"""The case-sheet contract as Python data: GENERATED from the dvt:caseKey table of ontology/modules/case.ttl.

Written by ``make generate`` (python -m dvtkg.cases.generate); edit the ontology, not this file
(tests/test_case_contract.py fails when it is stale). At run time the loader reads the same
table from the knowledge base (dvtkg.cases.keys); this module serves code that has none.
"""

from __future__ import annotations

from typing import NamedTuple


class CaseKey(NamedTuple):
    """One fact a case sheet states: its dotted key ({limb} for either leg) and the property it maps to."""

    key: str
    property: str               # the IRI of the case-graph property
    level: str                  # patient | limb
    kind: str                   # boolean | integer | number | enumeration | days-or-none
    allowed: tuple[str, ...]    # enumeration values, in the documented order
    minimum: str | None         # plausible range (inclusive), as written in the ontology
    maximum: str | None
    unit: str                   # UCUM
    label: str
    question: str               # asked when the key is missing ('this leg' for limb keys)
    flag_property: str | None   # days-or-none: the had<Event> boolean property


KEYS: tuple[CaseKey, ...] = (
    CaseKey('age', 'https://w3id.org/dvtkg/ontology#ageYears', 'patient', 'integer', (), '0', '120', 'a', 'age', 'How old is the patient (years)?', None),
    CaseKey('sex', 'https://w3id.org/dvtkg/ontology#sex', 'patient', 'enumeration', ('male', 'female'), None, None, '', 'sex', "What is the patient's sex?", None),
    CaseKey('weightKg', 'https://w3id.org/dvtkg/ontology#weightKg', 'patient', 'number', (), '1', '400', 'kg', 'body weight', "What is the patient's body weight (kg)?", None),
    CaseKey('pregnant', 'https://w3id.org/dvtkg/ontology#pregnant', 'patient', 'boolean', (), None, None, '', 'pregnant (case fact)', 'Is she pregnant?', None),
    CaseKey('gestationWeeks', 'https://w3id.org/dvtkg/ontology#gestationWeeks', 'patient', 'integer', (), '0', '45', 'wk', 'gestation', 'How many weeks pregnant is she?', None),
    CaseKey('suspectedDvt', 'https://w3id.org/dvtkg/ontology#suspectedDvt', 'patient', 'boolean', (), None, None, '', 'DVT suspected, not yet imaged', 'Is DVT suspected but not yet confirmed by imaging?', None),
    CaseKey('wellsDvtScore', 'https://w3id.org/dvtkg/ontology#wellsDvtScore', 'patient', 'integer', (), '-2', '9', '', 'two-level DVT Wells score', 'What is the Wells score for DVT?', None),
    CaseKey('dDimer', 'https://w3id.org/dvtkg/ontology#dDimerResult', 'patient', 'enumeration', ('positive', 'negative', 'pending'), None, None, '', 'D-dimer result', 'What was the D-dimer result (positive, negative, pending)?', None),
    CaseKey('pe.present', 'https://w3id.org/dvtkg/ontology#pePresent', 'patient', 'boolean', (), None, None, '', 'pulmonary embolism present', 'Is there a pulmonary embolism as well?', None),
    CaseKey('pe.haemodynamicCompromise', 'https://w3id.org/dvtkg/ontology#peHaemodynamicCompromise', 'patient', 'boolean', (), None, None, '', 'PE with haemodynamic compromise (case fact)', 'Does the pulmonary embolism cause haemodynamic compromise (shock or sustained hypotension)?', None),
    CaseKey('pe.systolicBpMmHg', 'https://w3id.org/dvtkg/ontology#systolicBpMmHg', 'patient', 'number', (), '20', '300', 'mm[Hg]', 'systolic blood pressure', 'What is the systolic blood pressure (mmHg)?', None),
    CaseKey('labs.crclMlMin', 'https://w3id.org/dvtkg/ontology#crclMlMin', 'patient', 'number', (), '0', '300', 'mL/min', 'creatinine clearance (mL/min)', 'What is the creatinine clearance (mL/min)?', None),
    CaseKey('labs.serumCreatinineMgDl', 'https://w3id.org/dvtkg/ontology#serumCreatinineMgDl', 'patient', 'number', (), '0.1', '25', 'mg/dL', 'serum creatinine (mg/dL)', 'What is the serum creatinine (mg/dL)?', None),
    CaseKey('labs.plateletsE9PerL', 'https://w3id.org/dvtkg/ontology#plateletsE9PerL', 'patient', 'number', (), '0', '2000', '10*9/L', 'platelet count (10^9/L)', 'What is the platelet count (x10^9/L)?', None),
    CaseKey('labs.egfrMlMin173', 'https://w3id.org/dvtkg/ontology#egfrMlMin173', 'patient', 'number', (), '0', '300', 'mL/min/{1.73_m2}', 'estimated GFR', 'What is the estimated GFR (mL/min/1.73 m2)?', None),
    CaseKey('medications.pgpInhibitor', 'https://w3id.org/dvtkg/ontology#pgpInhibitor', 'patient', 'boolean', (), None, None, '', 'takes a P-gp inhibitor (case fact)', 'Does the patient take a P-glycoprotein inhibitor?', None),
    CaseKey('conditions.activeCancer', 'https://w3id.org/dvtkg/ontology#activeCancer', 'patient', 'boolean', (), None, None, '', 'active cancer (case fact)', 'Does the patient have active cancer?', None),
    CaseKey('conditions.luminalGiCancer', 'https://w3id.org/dvtkg/ontology#luminalGiCancer', 'patient', 'boolean', (), None, None, '', 'luminal gastrointestinal cancer (case fact)', 'Is the cancer a luminal gastrointestinal cancer?', None),
    CaseKey('conditions.antiphospholipidSyndrome', 'https://w3id.org/dvtkg/ontology#antiphospholipidSyndrome', 'patient', 'boolean', (), None, None, '', 'antiphospholipid syndrome (case fact)', 'Does the patient have antiphospholipid syndrome?', None),
    CaseKey('conditions.apsTriplePositive', 'https://w3id.org/dvtkg/ontology#apsTriplePositive', 'patient', 'boolean', (), None, None, '', 'triple-positive antiphospholipid syndrome (case fact)', 'Is the antiphospholipid syndrome triple-positive?', None),
    CaseKey('conditions.significantCardiopulmonaryDisease', 'https://w3id.org/dvtkg/ontology#significantCardiopulmonaryDisease', 'patient', 'boolean', (), None, None, '', 'significant cardiopulmonary disease (case fact)', 'Does the patient have significant cardiopulmonary disease?', None),
    CaseKey('conditions.majorComorbidity', 'https://w3id.org/dvtkg/ontology#majorComorbidity', 'patient', 'boolean', (), None, None, '', 'major comorbidity (case fact)', 'Does the patient have a major comorbid condition?', None),
    CaseKey('conditions.suspectedHit', 'https://w3id.org/dvtkg/ontology#suspectedHit', 'patient', 'boolean', (), None, None, '', 'suspected heparin-induced thrombocytopenia (case fact)', 'Is heparin-induced thrombocytopenia suspected?', None),
    CaseKey('conditions.catProgressionRisk', 'https://w3id.org/dvtkg/ontology#catProgressionRisk', 'patient', 'enumeration', ('higher', 'lower'), None, None, '', 'progression risk of cancer-associated thrombosis', 'Is the risk of progression of the cancer-associated thrombosis higher or lower?', None),
    CaseKey('conditions.liverDisease', 'https://w3id.org/dvtkg/ontology#liverDisease', 'patient', 'enumeration', ('none', 'mild', 'moderate', 'severe'), None, None, '', 'liver disease (case fact)', 'Is there liver disease, and how severe (none, mild, moderate, severe)?', None),
    CaseKey('bleeding.activeBleeding', 'https://w3id.org/dvtkg/ontology#activeBleeding', 'patient', 'boolean', (), None, None, '', 'active bleeding (case fact)', 'Is the patient bleeding now?', None),
    CaseKey('bleeding.uncontrolledHypertension', 'https://w3id.org/dvtkg/ontology#uncontrolledHypertension', 'patient', 'boolean', (), None, None, '', 'uncontrolled hypertension (case fact)', 'Is the blood pressure uncontrolled?', None),
    CaseKey('bleeding.priorIntracranialHaemorrhage', 'https://w3id.org/dvtkg/ontology#priorIntracranialHaemorrhage', 'patient', 'boolean', (), None, None, '', 'previous intracranial haemorrhage (case fact)', 'Has the patient ever had an intracranial haemorrhage?', None),
    CaseKey('bleeding.structuralIntracranialDisease', 'https://w3id.org/dvtkg/ontology#structuralIntracranialDisease', 'patient', 'boolean', (), None, None, '', 'structural intracranial disease (case fact)', 'Is there structural intracranial disease (tumour, vascular malformation)?', None),
    CaseKey('bleeding.bleedingDiathesis', 'https://w3id.org/dvtkg/ontology#bleedingDiathesis', 'patient', 'boolean', (), None, None, '', 'bleeding diathesis (case fact)', 'Is there a bleeding disorder (diathesis)?', None),
    CaseKey('bleeding.bleedingRisk', 'https://w3id.org/dvtkg/ontology#bleedingRisk', 'patient', 'enumeration', ('low', 'moderate', 'high'), None, None, '', 'bleeding risk', "What is the clinician's judgement of the bleeding risk (low, moderate, high)?", None),
    CaseKey('bleeding.anticoagulationContraindication', 'https://w3id.org/dvtkg/ontology#anticoagulationContraindication', 'patient', 'enumeration', ('none', 'relative', 'absolute'), None, None, '', 'contraindication to anticoagulation', 'Is anticoagulation contraindicated, and how strongly (none, relative, absolute)?', None),
    CaseKey('bleeding.intracranialEventDaysAgo', 'https://w3id.org/dvtkg/ontology#intracranialEventDaysAgo', 'patient', 'days-or-none', (), '0', '36500', 'd', 'days since intracranial event', 'Has there been a stroke, intracranial bleed or intracranial surgery, and how many days ago (none if never)?', 'https://w3id.org/dvtkg/ontology#hadIntracranialEvent'),
    CaseKey('bleeding.majorSurgeryDaysAgo', 'https://w3id.org/dvtkg/ontology#majorSurgeryDaysAgo', 'patient', 'days-or-none', (), '0', '36500', 'd', 'days since major surgery', 'Has the patient had major surgery, and how many days ago (none if not)?', 'https://w3id.org/dvtkg/ontology#hadMajorSurgery'),
    CaseKey('bleeding.majorGiBleedDaysAgo', 'https://w3id.org/dvtkg/ontology#majorGiBleedDaysAgo', 'patient', 'days-or-none', (), '0', '36500', 'd', 'days since major gastrointestinal bleeding', 'Has the patient had a major gastrointestinal bleed, and how many days ago (none if not)?', 'https://w3id.org/dvtkg/ontology#hadMajorGiBleed'),
    CaseKey('provoking', 'https://w3id.org/dvtkg/ontology#provokingCategory', 'patient', 'enumeration', ('major-transient', 'minor-transient', 'persistent', 'unprovoked'), None, None, '', 'provoking factor category', 'What provoked the VTE (major transient, minor transient, persistent factor, or unprovoked)?', None),
    CaseKey('course.vteDaysAgo', 'https://w3id.org/dvtkg/ontology#vteDaysAgo', 'patient', 'integer', (), '0', '36500', 'd', 'days since VTE diagnosis', 'How many days ago was the VTE diagnosed?', None),
    CaseKey('course.onTherapeuticAnticoagulation', 'https://w3id.org/dvtkg/ontology#onTherapeuticAnticoagulation', 'patient', 'boolean', (), None, None, '', 'on therapeutic anticoagulation (case fact)', 'Is the patient on therapeutic anticoagulation now?', None),
    CaseKey('course.rapidExtensionDespiteAnticoagulation', 'https://w3id.org/dvtkg/ontology#rapidExtensionDespiteAnticoagulation', 'patient', 'boolean', (), None, None, '', 'rapid extension despite anticoagulation', 'Has the thrombus extended rapidly despite anticoagulation?', None),
    CaseKey('course.deteriorationDespiteAnticoagulation', 'https://w3id.org/dvtkg/ontology#deteriorationDespiteAnticoagulation', 'patient', 'boolean', (), None, None, '', 'symptomatic deterioration despite anticoagulation (case fact)', 'Have the symptoms worsened despite anticoagulation?', None),
    CaseKey('course.thrombusRemovalDone', 'https://w3id.org/dvtkg/ontology#thrombusRemovalDone', 'patient', 'boolean', (), None, None, '', 'thrombus removal done (case fact)', 'Has the thrombus already been removed (thrombolysis or thrombectomy)?', None),
    CaseKey('course.recurrentUnprovoked', 'https://w3id.org/dvtkg/ontology#recurrentUnprovoked', 'patient', 'boolean', (), None, None, '', 'recurrent unprovoked VTE (case fact)', 'Is this a recurrent unprovoked VTE?', None),
    CaseKey('course.recurrenceOnTherapeuticAnticoagulation', 'https://w3id.org/dvtkg/ontology#recurrenceOnTherapeuticAnticoagulation', 'patient', 'boolean', (), None, None, '', 'recurrence on therapeutic anticoagulation', 'Did the VTE recur while on therapeutic anticoagulation?', None),
    CaseKey('course.doacUnsuitable', 'https://w3id.org/dvtkg/ontology#doacUnsuitable', 'patient', 'boolean', (), None, None, '', 'DOAC unsuitable', 'Is a direct oral anticoagulant unsuitable for the patient?', None),
    CaseKey('course.provokingFactorResolved', 'https://w3id.org/dvtkg/ontology#provokingFactorResolved', 'patient', 'boolean', (), None, None, '', 'provoking factor resolved', 'Has the provoking factor resolved?', None),
    CaseKey('course.thrombolysisConsidered', 'https://w3id.org/dvtkg/ontology#thrombolysisConsidered', 'patient', 'boolean', (), None, None, '', 'thrombolysis considered appropriate', 'Has the treating team judged thrombolysis appropriate?', None),
    CaseKey('course.thrombusRemovalConsidered', 'https://w3id.org/dvtkg/ontology#thrombusRemovalConsidered', 'patient', 'boolean', (), None, None, '', 'thrombus removal considered appropriate', 'Has the treating team selected the patient for thrombus removal?', None),
    CaseKey('course.distalSevereSymptoms', 'https://w3id.org/dvtkg/ontology#distalSevereSymptoms', 'patient', 'boolean', (), None, None, '', 'severe symptoms of distal DVT', 'Does the distal DVT cause severe symptoms?', None),
    CaseKey('course.distalRiskFactorsForExtension', 'https://w3id.org/dvtkg/ontology#distalRiskFactorsForExtension', 'patient', 'boolean', (), None, None, '', 'risk factors for extension of distal DVT', 'Are there risk factors for extension of the distal DVT?', None),
    CaseKey('course.phase', 'https://w3id.org/dvtkg/ontology#treatmentPhaseNow', 'patient', 'enumeration', ('initiation', 'treatment', 'extended'), None, None, '', 'current treatment phase', 'Which phase of treatment is the patient in now (initiation, treatment, extended)?', None),
    CaseKey('course.currentAnticoagulant', 'https://w3id.org/dvtkg/ontology#currentAnticoagulant', 'patient', 'enumeration', ('none', 'doac', 'vka', 'lmwh', 'ufh', 'fondaparinux'), None, None, '', 'current anticoagulant', 'Which anticoagulant is the patient taking now (none, DOAC, VKA, LMWH, UFH, fondaparinux)?', None),
    CaseKey('course.anticoagulationReducedOrInterrupted', 'https://w3id.org/dvtkg/ontology#anticoagulationReducedOrInterrupted', 'patient', 'boolean', (), None, None, '', 'anticoagulation reduced or interrupted (case fact)', 'Was anticoagulation reduced or interrupted?', None),
    CaseKey('course.distalSerialImaging', 'https://w3id.org/dvtkg/ontology#distalSerialImagingResult', 'patient', 'enumeration', ('no-extension', 'distal-extension', 'proximal-extension'), None, None, '', 'serial imaging result', 'What did serial imaging of the distal DVT show (no extension, distal extension, proximal extension)?', None),
    CaseKey('setting.endovascularThrombolysisAvailable', 'https://w3id.org/dvtkg/ontology#endovascularThrombolysisAvailable', 'patient', 'boolean', (), None, None, '', 'endovascular thrombolysis available', 'Is endovascular (catheter-directed) thrombolysis available at this centre?', None),
    CaseKey('setting.experiencedVenousSurgeonAvailable', 'https://w3id.org/dvtkg/ontology#experiencedVenousSurgeonAvailable', 'patient', 'boolean', (), None, None, '', 'experienced venous surgeon available', 'Is a surgeon experienced in venous thrombectomy available?', None),
    CaseKey('setting.supportAtHome', 'https://w3id.org/dvtkg/ontology#supportAtHome', 'patient', 'boolean', (), None, None, '', 'support at home (case fact)', 'Does the patient have support at home?', None),
    CaseKey('setting.canAffordMedication', 'https://w3id.org/dvtkg/ontology#canAffordMedication', 'patient', 'boolean', (), None, None, '', 'can afford medication', 'Can the patient obtain and afford the medication?', None),
    CaseKey('setting.otherReasonForAdmission', 'https://w3id.org/dvtkg/ontology#otherReasonForAdmission', 'patient', 'boolean', (), None, None, '', 'other reason for admission', 'Is there another reason for the patient to be admitted?', None),
    CaseKey('setting.scanResultWithinHours', 'https://w3id.org/dvtkg/ontology#scanResultWithinHours', 'patient', 'number', (), '0', '720', 'h', 'hours to scan result', 'Within how many hours can the scan result be available?', None),
    CaseKey('setting.functionalStatus', 'https://w3id.org/dvtkg/ontology#functionalStatus', 'patient', 'enumeration', ('good', 'poor'), None, None, '', 'functional status', "Is the patient's functional status good or poor?", None),
    CaseKey('setting.lifeExpectancyYears', 'https://w3id.org/dvtkg/ontology#lifeExpectancyYears', 'patient', 'number', (), '0', '120', 'a', 'life expectancy', "What is the patient's life expectancy (years)?", None),
    CaseKey('limbs.{limb}.occlusive', 'https://w3id.org/dvtkg/ontology#occlusive', 'limb', 'boolean', (), None, None, '', 'occlusive thrombus', 'Is the thrombus in this leg occlusive?', None),
    CaseKey('limbs.{limb}.symptomDays', 'https://w3id.org/dvtkg/ontology#symptomDays', 'limb', 'integer', (), '0', '3650', 'd', 'days since symptom onset', 'How many days ago did the symptoms in this leg begin?', None),
    CaseKey('limbs.{limb}.symptomatic', 'https://w3id.org/dvtkg/ontology#symptomatic', 'limb', 'boolean', (), None, None, '', 'symptomatic', 'Does this leg have symptoms?', None),
    CaseKey('limbs.{limb}.signs.cyanosis', 'https://w3id.org/dvtkg/ontology#cyanosis', 'limb', 'boolean', (), None, None, '', 'cyanosis (case fact)', 'Is this leg cyanosed?', None),
    CaseKey('limbs.{limb}.signs.entireLimbSwelling', 'https://w3id.org/dvtkg/ontology#entireLimbSwelling', 'limb', 'boolean', (), None, None, '', 'swelling of the entire limb (case fact)', 'Is the whole of this leg swollen?', None),
    CaseKey('limbs.{limb}.signs.severePain', 'https://w3id.org/dvtkg/ontology#severePain', 'limb', 'boolean', (), None, None, '', 'severe pain (case fact)', 'Is there severe pain in this leg?', None),
    CaseKey('limbs.{limb}.signs.limbIschaemia', 'https://w3id.org/dvtkg/ontology#limbIschaemia', 'limb', 'boolean', (), None, None, '', 'limb ischaemia (case fact)', 'Is this leg ischaemic?', None),
    CaseKey('limbs.{limb}.signs.venousGangrene', 'https://w3id.org/dvtkg/ontology#venousGangrene', 'limb', 'boolean', (), None, None, '', 'venous gangrene (case fact)', 'Is there venous gangrene of this leg?', None),
    CaseKey('limbs.{limb}.signs.compartmentSyndrome', 'https://w3id.org/dvtkg/ontology#compartmentSyndrome', 'limb', 'boolean', (), None, None, '', 'compartment syndrome (case fact)', 'Is there a compartment syndrome in this leg?', None),
    CaseKey('limbs.{limb}.codedPhlegmasia', 'https://w3id.org/dvtkg/ontology#codedPhlegmasia', 'limb', 'boolean', (), None, None, '', 'coded phlegmasia cerulea dolens', 'Was phlegmasia cerulea dolens of this leg recorded (coded)?', None),
    CaseKey('limbs.{limb}.signs.pulses', 'https://w3id.org/dvtkg/ontology#pulses', 'limb', 'enumeration', ('normal', 'diminished', 'absent'), None, None, '', 'distal pulses', 'Are the distal pulses of this leg normal, diminished or absent?', None),
)

#: the keys of the sheet's layout (not facts): identifier, limbs, veins, codes
LAYOUT_KEYS: frozenset[str] = frozenset({
    'codes',
    'codes.code',
    'codes.system',
    'id',
    'limbs',
    'limbs.{limb}.veins',
})
#: keys that carry text for the reader only (never in the case graph)
FREE_TEXT_KEYS: frozenset[str] = frozenset({'codes.display', 'notes'})
SIDES: tuple[str, ...] = ('left', 'right')
#: the vein segment names of limbs.{limb}.veins, from the top down
VEIN_NAMES: tuple[str, ...] = (
    'ivc',
    'common-iliac',
    'external-iliac',
    'internal-iliac',
    'common-femoral',
    'femoral',
    'deep-femoral',
    'popliteal',
    'anterior-tibial',
    'posterior-tibial',
    'peroneal',
    'gastrocnemius',
    'soleal',
)
