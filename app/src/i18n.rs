//! The visitor-facing texts in every language Farewell ships, and the negotiation that picks
//! one. Pure: the hosted page, the widget's configuration and the tests all read this table.

use serde::{Deserialize, Serialize};

/// Languages with complete texts. Arabic is written right to left.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    En,
    Fi,
    Sv,
    De,
    Ar,
}

impl Lang {
    pub const ALL: [Lang; 5] = [Lang::En, Lang::Fi, Lang::Sv, Lang::De, Lang::Ar];

    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Fi => "fi",
            Lang::Sv => "sv",
            Lang::De => "de",
            Lang::Ar => "ar",
        }
    }

    pub fn from_code(code: &str) -> Option<Lang> {
        let primary = code.split(['-', '_']).next()?.to_ascii_lowercase();
        Lang::ALL.into_iter().find(|l| l.code() == primary)
    }

    pub fn is_rtl(self) -> bool {
        self == Lang::Ar
    }

    pub fn dir(self) -> &'static str {
        if self.is_rtl() {
            "rtl"
        } else {
            "ltr"
        }
    }

    pub fn texts(self) -> Texts {
        match self {
            Lang::En => Texts {
                title: "How was your experience?",
                question: "How likely are you to recommend {product} to a friend or colleague?",
                not_likely: "Not likely",
                extremely_likely: "Extremely likely",
                follow_up_detractor: "We are sorry to hear that. What disappointed you?",
                follow_up_passive: "What would make it better for you?",
                follow_up_promoter: "Great! What did you like most?",
                comment_optional: "(optional)",
                characters_left: "characters left",
                contact_me: "You may contact me about this",
                identify_me: "Link this answer to my account (optional): the team sees it with my account's other answers",
                email: "E-mail",
                email_invalid: "This address looks incomplete. Please check it.",
                choose_score: "Please choose a score from 0 to 10.",
                comment_too_long: "This comment is too long. Please shorten it.",
                tick_or_clear: "Tick the box to let us contact you, or clear the address.",
                email_missing: "Please enter your e-mail address, or untick the box.",
                send: "Send",
                close: "Close",
                thanks: "Thank you!",
                saved: "Your answer has been saved.",
                arm_button: "Give feedback when you're done",
                armed: "Thank you! A survey will open when you exit the site.",
                waiting: "This window will show a short survey when you leave the site. You can keep browsing.",
                notice: "Privacy notice",
                stored_under: "Your answer is stored under our",
                opt_out: "Don't ask me again (leave the improvement program)",
                opted_out: "You have left the improvement program. Nothing more is collected.",
                opt_in: "Join the improvement program again",
                preferences: "Your choices",
                participating: "You take part in the improvement program: your answers help improve this site.",
                manage_choices: "Manage your choices",
                open_from_site: "Open this page from a survey or from the site to manage your choices.",
                download_answers: "Download my answers",
                delete_answers: "Delete my answers",
                answers_deleted: "Your answers were deleted.",
                cancel: "Cancel",
                armed_touch: "Thank you! A short survey will open when you come back to this site.",
                unreachable: "Could not reach the server. Please check your connection and send again.",
                notice_heading: "Privacy notice, version {version}",
                notice_published: "Published {date} · language {language} · SHA-256",
                confirm_delete: "Delete every answer you gave on this site? This cannot be undone.",
            },
            Lang::Fi => Texts {
                title: "Millainen kokemuksesi oli?",
                question: "Kuinka todennäköisesti suosittelisit {product}-palvelua ystävälle tai kollegalle?",
                not_likely: "Epätodennäköistä",
                extremely_likely: "Erittäin todennäköistä",
                follow_up_detractor: "Ikävä kuulla. Mikä tuotti pettymyksen?",
                follow_up_passive: "Mikä tekisi siitä sinulle paremman?",
                follow_up_promoter: "Hienoa! Mistä pidit eniten?",
                comment_optional: "(vapaaehtoinen)",
                characters_left: "merkkiä jäljellä",
                contact_me: "Minuun saa ottaa yhteyttä tästä asiasta",
                identify_me: "Yhdistä vastaus tiliini (vapaaehtoinen): tiimi näkee sen tilini muiden vastausten kanssa",
                email: "Sähköposti",
                email_invalid: "Osoite näyttää puutteelliselta. Tarkista se.",
                choose_score: "Valitse arvosana 0–10.",
                comment_too_long: "Kommentti on liian pitkä. Lyhennä sitä.",
                tick_or_clear: "Rastita ruutu, jos saamme ottaa sinuun yhteyttä, tai tyhjennä osoite.",
                email_missing: "Kirjoita sähköpostiosoitteesi tai poista rasti ruudusta.",
                send: "Lähetä",
                close: "Sulje",
                thanks: "Kiitos!",
                saved: "Vastauksesi on tallennettu.",
                arm_button: "Anna palautetta, kun olet valmis",
                armed: "Kiitos! Kysely avautuu, kun poistut sivustolta.",
                waiting: "Tässä ikkunassa avautuu lyhyt kysely, kun poistut sivustolta. Voit jatkaa selaamista.",
                notice: "Tietosuojaseloste",
                stored_under: "Vastauksesi tallennetaan tämän mukaisesti:",
                opt_out: "Älä kysy uudelleen (poistu kehitysohjelmasta)",
                opted_out: "Olet poistunut kehitysohjelmasta. Tietoja ei enää kerätä.",
                opt_in: "Liity kehitysohjelmaan uudelleen",
                preferences: "Valintasi",
                participating: "Osallistut kehitysohjelmaan: vastauksesi auttavat parantamaan tätä sivustoa.",
                manage_choices: "Hallitse valintojasi",
                open_from_site: "Avaa tämä sivu kyselystä tai sivustolta hallitaksesi valintojasi.",
                download_answers: "Lataa vastaukseni",
                delete_answers: "Poista vastaukseni",
                answers_deleted: "Vastauksesi poistettiin.",
                cancel: "Peruuta",
                armed_touch: "Kiitos! Lyhyt kysely avautuu, kun palaat tälle sivustolle.",
                unreachable: "Palvelimeen ei saatu yhteyttä. Tarkista yhteys ja lähetä uudelleen.",
                notice_heading: "Tietosuojaseloste, versio {version}",
                notice_published: "Julkaistu {date} · kieli {language} · SHA-256",
                confirm_delete: "Poistetaanko kaikki tällä sivustolla antamasi vastaukset? Tätä ei voi perua.",
            },
            Lang::Sv => Texts {
                title: "Hur var din upplevelse?",
                question: "Hur troligt är det att du skulle rekommendera {product} till en vän eller kollega?",
                not_likely: "Inte troligt",
                extremely_likely: "Mycket troligt",
                follow_up_detractor: "Tråkigt att höra. Vad gjorde dig besviken?",
                follow_up_passive: "Vad skulle göra det bättre för dig?",
                follow_up_promoter: "Vad roligt! Vad tyckte du bäst om?",
                comment_optional: "(valfritt)",
                characters_left: "tecken kvar",
                contact_me: "Ni får kontakta mig om detta",
                identify_me: "Koppla svaret till mitt konto (frivilligt): teamet ser det med mitt kontos andra svar",
                email: "E-post",
                email_invalid: "Adressen ser ofullständig ut. Kontrollera den.",
                choose_score: "Välj ett betyg från 0 till 10.",
                comment_too_long: "Kommentaren är för lång. Korta den.",
                tick_or_clear: "Kryssa i rutan om vi får kontakta dig, eller töm adressen.",
                email_missing: "Skriv din e-postadress, eller kryssa ur rutan.",
                send: "Skicka",
                close: "Stäng",
                thanks: "Tack!",
                saved: "Ditt svar har sparats.",
                arm_button: "Ge feedback när du är klar",
                armed: "Tack! En enkät öppnas när du lämnar webbplatsen.",
                waiting: "I det här fönstret visas en kort enkät när du lämnar webbplatsen. Du kan fortsätta surfa.",
                notice: "Integritetsmeddelande",
                stored_under: "Ditt svar lagras enligt vårt",
                opt_out: "Fråga mig inte igen (lämna förbättringsprogrammet)",
                opted_out: "Du har lämnat förbättringsprogrammet. Inget mer samlas in.",
                opt_in: "Gå med i förbättringsprogrammet igen",
                preferences: "Dina val",
                participating: "Du deltar i förbättringsprogrammet: dina svar hjälper till att förbättra webbplatsen.",
                manage_choices: "Hantera dina val",
                open_from_site: "Öppna den här sidan från en enkät eller från webbplatsen för att hantera dina val.",
                download_answers: "Ladda ner mina svar",
                delete_answers: "Radera mina svar",
                answers_deleted: "Dina svar har raderats.",
                cancel: "Avbryt",
                armed_touch: "Tack! En kort enkät öppnas när du kommer tillbaka till webbplatsen.",
                unreachable: "Det gick inte att nå servern. Kontrollera anslutningen och skicka igen.",
                notice_heading: "Integritetsmeddelande, version {version}",
                notice_published: "Publicerat {date} · språk {language} · SHA-256",
                confirm_delete: "Radera alla svar du har gett på den här webbplatsen? Det går inte att ångra.",
            },
            Lang::De => Texts {
                title: "Wie war Ihre Erfahrung?",
                question: "Wie wahrscheinlich ist es, dass Sie {product} einem Freund oder Kollegen empfehlen?",
                not_likely: "Unwahrscheinlich",
                extremely_likely: "Äußerst wahrscheinlich",
                follow_up_detractor: "Das tut uns leid. Was hat Sie enttäuscht?",
                follow_up_passive: "Was würde es für Sie besser machen?",
                follow_up_promoter: "Großartig! Was hat Ihnen am besten gefallen?",
                comment_optional: "(optional)",
                characters_left: "Zeichen übrig",
                contact_me: "Sie dürfen mich dazu kontaktieren",
                identify_me: "Antwort mit meinem Konto verknüpfen (freiwillig): das Team sieht sie mit den anderen Antworten meines Kontos",
                email: "E-Mail",
                email_invalid: "Diese Adresse scheint unvollständig. Bitte prüfen Sie sie.",
                choose_score: "Bitte wählen Sie eine Bewertung von 0 bis 10.",
                comment_too_long: "Dieser Kommentar ist zu lang. Bitte kürzen Sie ihn.",
                tick_or_clear: "Kreuzen Sie das Feld an, wenn wir Sie kontaktieren dürfen, oder löschen Sie die Adresse.",
                email_missing: "Bitte geben Sie Ihre E-Mail-Adresse ein oder entfernen Sie das Häkchen.",
                send: "Senden",
                close: "Schließen",
                thanks: "Vielen Dank!",
                saved: "Ihre Antwort wurde gespeichert.",
                arm_button: "Feedback geben, wenn Sie fertig sind",
                armed: "Danke! Eine Umfrage öffnet sich, wenn Sie die Website verlassen.",
                waiting: "In diesem Fenster erscheint eine kurze Umfrage, wenn Sie die Website verlassen. Sie können weiter surfen.",
                notice: "Datenschutzhinweis",
                stored_under: "Ihre Antwort wird gespeichert gemäß unserem",
                opt_out: "Nicht mehr fragen (Verbesserungsprogramm verlassen)",
                opted_out: "Sie haben das Verbesserungsprogramm verlassen. Es wird nichts mehr erfasst.",
                opt_in: "Wieder am Verbesserungsprogramm teilnehmen",
                preferences: "Ihre Auswahl",
                participating: "Sie nehmen am Verbesserungsprogramm teil: Ihre Antworten helfen, diese Website zu verbessern.",
                manage_choices: "Auswahl verwalten",
                open_from_site: "Öffnen Sie diese Seite aus einer Umfrage oder von der Website aus, um Ihre Auswahl zu verwalten.",
                download_answers: "Meine Antworten herunterladen",
                delete_answers: "Meine Antworten löschen",
                answers_deleted: "Ihre Antworten wurden gelöscht.",
                cancel: "Abbrechen",
                armed_touch: "Danke! Eine kurze Umfrage öffnet sich, wenn Sie zu dieser Website zurückkehren.",
                unreachable: "Der Server ist nicht erreichbar. Bitte prüfen Sie die Verbindung und senden Sie erneut.",
                notice_heading: "Datenschutzhinweis, Version {version}",
                notice_published: "Veröffentlicht {date} · Sprache {language} · SHA-256",
                confirm_delete: "Alle Antworten löschen, die Sie auf dieser Website gegeben haben? Das kann nicht rückgängig gemacht werden.",
            },
            Lang::Ar => Texts {
                title: "كيف كانت تجربتك؟",
                question: "ما مدى احتمال أن توصي بـ {product} لصديق أو زميل؟",
                not_likely: "غير محتمل",
                extremely_likely: "محتمل جدًا",
                follow_up_detractor: "نأسف لسماع ذلك. ما الذي خيّب أملك؟",
                follow_up_passive: "ما الذي يجعلها أفضل بالنسبة لك؟",
                follow_up_promoter: "رائع! ما الذي أعجبك أكثر؟",
                comment_optional: "(اختياري)",
                characters_left: "حرفًا متبقيًا",
                contact_me: "يمكنكم التواصل معي بشأن هذا",
                identify_me: "اربط هذه الإجابة بحسابي (اختياري): يراها الفريق مع إجابات حسابي الأخرى",
                email: "البريد الإلكتروني",
                email_invalid: "يبدو أن هذا العنوان غير مكتمل. يرجى التحقق منه.",
                choose_score: "يرجى اختيار تقييم من 0 إلى 10.",
                comment_too_long: "هذا التعليق طويل جدًا. يرجى اختصاره.",
                tick_or_clear: "ضع علامة في المربع لتسمح لنا بالتواصل معك، أو امسح العنوان.",
                email_missing: "يرجى إدخال بريدك الإلكتروني، أو إزالة العلامة من المربع.",
                send: "إرسال",
                close: "إغلاق",
                thanks: "شكرًا لك!",
                saved: "تم حفظ إجابتك.",
                arm_button: "قدّم ملاحظاتك عند الانتهاء",
                armed: "شكرًا! سيُفتح استبيان عند مغادرتك الموقع.",
                waiting: "ستعرض هذه النافذة استبيانًا قصيرًا عند مغادرتك الموقع. يمكنك متابعة التصفح.",
                notice: "إشعار الخصوصية",
                stored_under: "تُحفظ إجابتك وفق",
                opt_out: "لا تسألني مرة أخرى (مغادرة برنامج التحسين)",
                opted_out: "لقد غادرت برنامج التحسين. لن يُجمع أي شيء بعد الآن.",
                opt_in: "الانضمام إلى برنامج التحسين مرة أخرى",
                preferences: "اختياراتك",
                participating: "أنت مشارك في برنامج التحسين: تساعد إجاباتك في تحسين هذا الموقع.",
                manage_choices: "إدارة اختياراتك",
                open_from_site: "افتح هذه الصفحة من استبيان أو من الموقع لإدارة اختياراتك.",
                download_answers: "تنزيل إجاباتي",
                delete_answers: "حذف إجاباتي",
                answers_deleted: "تم حذف إجاباتك.",
                cancel: "إلغاء",
                armed_touch: "شكرًا لك! سيُفتح استطلاع قصير عند عودتك إلى هذا الموقع.",
                unreachable: "تعذّر الوصول إلى الخادم. يرجى التحقق من الاتصال والإرسال مرة أخرى.",
                notice_heading: "إشعار الخصوصية، الإصدار {version}",
                notice_published: "نُشر في {date} · اللغة {language} · SHA-256",
                confirm_delete: "هل تريد حذف كل الإجابات التي قدمتها على هذا الموقع؟ لا يمكن التراجع عن ذلك.",
            },
        }
    }
}

/// Every string a visitor can see. `{product}` in `question` is replaced by the product name.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Texts {
    pub title: &'static str,
    pub question: &'static str,
    pub not_likely: &'static str,
    pub extremely_likely: &'static str,
    pub follow_up_detractor: &'static str,
    pub follow_up_passive: &'static str,
    pub follow_up_promoter: &'static str,
    pub comment_optional: &'static str,
    pub characters_left: &'static str,
    pub contact_me: &'static str,
    /// The consent choice `identify`, shown only when the site passed a user or account id.
    pub identify_me: &'static str,
    pub email: &'static str,
    /// An e-mail address that cannot be one (no @, no domain).
    pub email_invalid: &'static str,
    /// An address typed without the contact choice ticked: never dropped in silence.
    pub tick_or_clear: &'static str,
    /// The contact choice is ticked and no address typed.
    pub email_missing: &'static str,
    /// A hosted form sent without a score.
    pub choose_score: &'static str,
    pub comment_too_long: &'static str,
    pub send: &'static str,
    pub close: &'static str,
    pub thanks: &'static str,
    pub saved: &'static str,
    pub arm_button: &'static str,
    pub armed: &'static str,
    pub waiting: &'static str,
    pub notice: &'static str,
    pub stored_under: &'static str,
    pub opt_out: &'static str,
    pub opted_out: &'static str,
    pub opt_in: &'static str,
    pub preferences: &'static str,
    pub participating: &'static str,
    pub manage_choices: &'static str,
    pub open_from_site: &'static str,
    pub download_answers: &'static str,
    pub delete_answers: &'static str,
    pub answers_deleted: &'static str,
    /// Un-arms the exit survey (the armed pill, the waiting window).
    pub cancel: &'static str,
    /// The promise on touch devices, where no window is opened: the survey shows in the page.
    pub armed_touch: &'static str,
    /// The hosted page could not send (offline, server down): what was typed stays.
    pub unreachable: &'static str,
    pub notice_heading: &'static str,
    pub notice_published: &'static str,
    /// Asked before the visitor's answers are erased.
    pub confirm_delete: &'static str,
}

/// The language a request asks for: `page_lang` (a page's `lang` parameter) first, then its
/// `Accept-Language` header.
#[cfg(feature = "ssr")]
pub fn of_request(page_lang: Option<&str>, headers: &http::HeaderMap) -> Lang {
    negotiate(
        page_lang,
        headers
            .get(http::header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok()),
    )
}

/// Picks the language: an explicit page `lang` first, then the `Accept-Language` list in
/// order of quality, then English.
pub fn negotiate(page_lang: Option<&str>, accept_language: Option<&str>) -> Lang {
    if let Some(lang) = page_lang.and_then(Lang::from_code) {
        return lang;
    }
    let mut ranges: Vec<(f32, usize, &str)> = accept_language
        .unwrap_or_default()
        .split(',')
        .enumerate()
        .filter_map(|(i, part)| {
            let mut pieces = part.trim().split(';');
            let tag = pieces.next()?.trim();
            let q = pieces
                .find_map(|p| p.trim().strip_prefix("q="))
                .and_then(|q| q.parse::<f32>().ok())
                .unwrap_or(1.0);
            (!tag.is_empty() && q > 0.0).then_some((q, i, tag))
        })
        .collect();
    ranges.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    ranges
        .into_iter()
        .find_map(|(_, _, tag)| Lang::from_code(tag))
        .unwrap_or(Lang::En)
}

/// The exit-reason question's default words ("What is the main reason for your score?"), for a
/// survey that does not set its own (`domain::ReasonQuestion`).
pub fn reason_question(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "What is the main reason for your score?",
        Lang::Fi => "Mikä on arvosanasi tärkein syy?",
        Lang::Sv => "Vad är det främsta skälet till ditt betyg?",
        Lang::De => "Was ist der wichtigste Grund für Ihre Bewertung?",
        Lang::Ar => "ما السبب الرئيسي لتقييمك؟",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negotiation_follows_quality_then_order() {
        assert_eq!(negotiate(None, Some("fi-FI,fi;q=0.9,en;q=0.8")), Lang::Fi);
        assert_eq!(
            negotiate(None, Some("fr;q=1, de;q=0.7, sv;q=0.9")),
            Lang::Sv
        );
        assert_eq!(negotiate(None, Some("fr, ja")), Lang::En);
        assert_eq!(negotiate(None, Some("ar-EG")), Lang::Ar);
        assert_eq!(negotiate(None, Some("de;q=0, sv")), Lang::Sv);
        assert_eq!(
            negotiate(Some("de-AT"), Some("fi")),
            Lang::De,
            "the page's lang wins"
        );
        assert_eq!(negotiate(Some("xx"), Some("fi")), Lang::Fi);
        assert_eq!(negotiate(None, None), Lang::En);
    }

    #[test]
    fn every_language_has_every_text_and_the_product_slot() {
        for lang in Lang::ALL {
            let t = lang.texts();
            let json = serde_json::to_value(&t).unwrap();
            for (key, value) in json.as_object().unwrap() {
                assert!(
                    !value.as_str().unwrap().trim().is_empty(),
                    "{lang:?}.{key} is empty"
                );
            }
            assert!(t.question.contains("{product}"), "{lang:?}");
            assert_eq!(Lang::from_code(lang.code()), Some(lang));
        }
        assert!(Lang::Ar.is_rtl() && !Lang::Fi.is_rtl());
    }
}
